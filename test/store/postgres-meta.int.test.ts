/**
 * The Postgres migration that keeps meta keys beside the head: a schema made before it (every key
 * and writer in the head row) opens with every key kept, values as written, and the head is
 * bounded at its next write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresBackend } from '../../src/index.js';
import { foldOps } from '../../src/model/apply.js';
import { MAX_META, withAllMeta } from '../../src/model/bounded-meta.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { T0, appendOps, seedThread } from '../../src/testing/contract-fixtures.js';
import { createTestSchema, PG_SKIPPED } from '../helpers/postgres.js';

test('a Postgres schema made before meta keys were kept beside the head opens with all of them (migration)', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async () => {
  const db = await createTestSchema();
  try {
    const pool = db.newPool();
    const q = (sql: string, params: unknown[] = []) => pool.query(sql.replaceAll('$S', `"${db.schema}"`), params);
    const b = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    const { id, ops } = await seedThread(b, [], { meta: { 'a.b': { z: 1, a: [1e21, 0.30000000000000004, 'q"'] } } });
    const n = MAX_META + 4;
    let now = T0;
    for (let i = 0; i < n; i++) ops.push(...(await appendOps(b, id, [{ type: 'meta:set', key: `k${i}`, value: i }], { now: (now += 1000) })));
    ops.push(...(await appendOps(b, id, [{ type: 'meta:set', key: 'k1', value: null }], { now: (now += 1000) })));
    await b.close();
    const step = POSTGRES_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE IF NOT EXISTS thread_meta'));
    const { messages, ...core } = foldOps(id, ops);
    const { rows } = await q('SELECT head FROM $S.threads WHERE ws = $1 AND id = $2', ['w', id]);
    const updated = (JSON.parse((rows[0] as { head: string }).head) as { updated: number }).updated;
    await q('UPDATE $S.threads SET head = $3 WHERE ws = $1 AND id = $2', ['w', id, JSON.stringify({ ...core, messageCount: messages.length, updated })]);
    await q('DROP TABLE $S.thread_meta');
    await q('DELETE FROM $S.skein_schema_version WHERE version > $1', [step]);

    const again = await openPostgresBackend({ pool, schema: db.schema, workspace: 'w' });
    assert.equal((await again.threadMeta(id)).length, n + 1);
    const more = await appendOps(again, id, [{ type: 'meta:set', key: 'k3', value: 'newer' }], { now: now + 1000 });
    const head = (await again.getHead(id))!;
    assert.ok(Object.keys(head.clock.stamps).filter((k) => k.startsWith('meta.')).length <= MAX_META);
    const { messages: _m, ...folded } = foldOps(id, [...ops, ...more]);
    const { messageCount: _c, updated: _u, ...shown } = withAllMeta(head, await again.threadMeta(id));
    assert.deepEqual(shown, folded);
    await again.close();
  } finally {
    await db.drop();
  }
});
