/**
 * The Postgres migration that keeps links beside the head: a schema made before it (every link
 * in the head row) opens with every link kept, and the head is bounded at its next write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresBackend } from '../../src/index.js';
import { foldOps } from '../../src/model/apply.js';
import { MAX_LINKS, linkCounts, withAllLinks } from '../../src/model/bounded-links.js';
import { newThreadId } from '../../src/model/ids.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { T0, appendOps, seedThread, user } from '../../src/testing/contract-fixtures.js';
import { createTestSchema, PG_SKIPPED } from '../helpers/postgres.js';

test('a Postgres schema made before links were kept beside the head opens with all of them (migration)', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async () => {
  const db = await createTestSchema();
  try {
    const pool = db.newPool();
    const q = (sql: string, params: unknown[] = []) => pool.query(sql.replaceAll('$S', `"${db.schema}"`), params);
    const b = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    const { id, ops } = await seedThread(b);
    const n = MAX_LINKS + 4;
    let now = T0;
    for (let i = 0; i < n; i++)
      ops.push(
        ...(await appendOps(b, id, [
          { type: 'child:link', threadId: newThreadId() },
          { type: 'summary:link', threadId: newThreadId() },
          { type: 'fork:link', threadId: newThreadId(), messageId: `m-${i}` },
        ], { now: (now += 1000) })),
      );
    await b.close();
    // The schema as it was before: no side table, the whole head in the row.
    const step = POSTGRES_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE IF NOT EXISTS thread_links'));
    const { messages, ...core } = foldOps(id, ops);
    const { rows } = await q('SELECT head FROM $S.threads WHERE ws = $1 AND id = $2', ['w', id]);
    const updated = (JSON.parse((rows[0] as { head: string }).head) as { updated: number }).updated;
    await q('UPDATE $S.threads SET head = $3 WHERE ws = $1 AND id = $2', ['w', id, JSON.stringify({ ...core, messageCount: messages.length, updated })]);
    await q('DROP TABLE $S.thread_links');
    await q('DELETE FROM $S.skein_schema_version WHERE version > $1', [step]);

    const again = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    assert.equal((await again.threadLinks(id)).length, 3 * n);
    assert.equal((await again.getHead(id))!.childThreadIDs.length, n, 'the head stays whole until written');
    const more = await appendOps(again, id, [user('after'), { type: 'child:link', threadId: core.childThreadIDs.at(-1)! }], { now: now + 1000 });
    const head = (await again.getHead(id))!;
    assert.equal(head.childThreadIDs.length, MAX_LINKS);
    assert.deepEqual(linkCounts(head), { childCount: n, summaryCount: n, linkCount: n });
    const { messages: _m, ...folded } = foldOps(id, [...ops, ...more]);
    const { messageCount: _c, updated: _u, ...shown } = withAllLinks(head, await again.threadLinks(id));
    assert.deepEqual(shown, folded);
    await again.close();
  } finally {
    await db.drop();
  }
});
