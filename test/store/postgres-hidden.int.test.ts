/**
 * The Postgres migration that keeps hidden ranges beside the head: a schema made before it (every
 * range in the head row) opens with every range kept, and the head is bounded at its next write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresBackend } from '../../src/index.js';
import { foldOps } from '../../src/model/apply.js';
import { MAX_HIDDEN } from '../../src/model/hidden.js';
import type { Op } from '../../src/model/types.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { ALL, T0, appendOps, assistant, seedThread, user } from '../../src/testing/contract-fixtures.js';
import { createTestSchema, PG_SKIPPED } from '../helpers/postgres.js';

test('a Postgres schema made before hidden ranges were kept beside the head opens with all of them (migration)', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async () => {
  const db = await createTestSchema();
  try {
    const pool = db.newPool();
    const q = (sql: string, params: unknown[] = []) => pool.query(sql.replaceAll('$S', `"${db.schema}"`), params);
    const b = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    const { id, ops } = await seedThread(b);
    let now = T0;
    for (let i = 0; i < MAX_HIDDEN + 4; i++) {
      now += 1000;
      const added = await appendOps(b, id, [user(`prompt ${i}`), assistant(`reply ${i}`)], { now });
      ops.push(...added, ...(await appendOps(b, id, [{ type: 'thread:truncate', fromMessageId: (added[1] as Op).opId }], { now: now + 1 })));
    }
    await b.close();
    // The schema as it was before: no side table, the whole head in the row.
    const step = POSTGRES_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE hidden_ranges'));
    const whole = foldOps(id, ops);
    const { messages, ...core } = whole;
    const { rows } = await q('SELECT head FROM $S.threads WHERE ws = $1 AND id = $2', ['w', id]);
    const updated = (JSON.parse((rows[0] as { head: string }).head) as { updated: number }).updated;
    await q('UPDATE $S.threads SET head = $3 WHERE ws = $1 AND id = $2', ['w', id, JSON.stringify({ ...core, messageCount: messages.length, updated })]);
    await q('DROP TABLE $S.hidden_ranges');
    await q('DELETE FROM $S.skein_schema_version WHERE version > $1', [step]);

    const again = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    assert.deepEqual(await again.hiddenRanges(id), whole.clock.hidden);
    assert.equal((await again.getHead(id))!.clock.hidden.length, MAX_HIDDEN + 4, 'the head stays whole until written');
    const more = await appendOps(again, id, [user('after')], { now: now + 1000 });
    assert.equal((await again.getHead(id))!.clock.hidden.length, MAX_HIDDEN);
    assert.deepEqual(await again.hiddenRanges(id), whole.clock.hidden);
    assert.deepEqual(await again.messagesAfter(id, undefined, ALL), foldOps(id, [...ops, ...more]).messages);
    await again.close();
  } finally {
    await db.drop();
  }
});
