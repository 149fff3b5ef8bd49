/**
 * Two server instances on one PostgreSQL schema, each keeping tokens and private threads in
 * memory: a token revoked in the database and a thread made private through the other instance
 * are refused and hidden by this one as soon as the change's NOTIFY reaches it (a trigger sends
 * it on commit). A poke sent after the change arrives after the invalidation, which is how the
 * test knows the news is in without waiting on a clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresServerStorage } from '../../src/server/postgres-storage.js';
import { hashToken, type ServerStorage } from '../../src/server/server-storage.js';
import { hiddenFrom } from '../../src/server/visibility.js';
import { createTestSchema, PG_SKIPPED, PG_URL } from '../helpers/postgres.js';

/** Sends a poke through `from` and resolves when `to` hears it: everything committed before has reached `to`. */
async function roundTrip(from: ServerStorage, to: ServerStorage, cursor: number): Promise<void> {
  let unsubscribe = () => {};
  const heard = new Promise<void>((resolve) => {
    unsubscribe = to.subscribe((ws, ev) => ws === 'marker' && ev.cursor === cursor && resolve());
  });
  await from.publish('marker', { id: 'x', v: 1, cursor });
  await heard;
  unsubscribe();
}

test('PostgreSQL: a revoked token and a thread made private take effect on every instance', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async () => {
  const s = await createTestSchema();
  const a = await openPostgresServerStorage({ connectionString: PG_URL, schema: s.schema });
  const b = await openPostgresServerStorage({ connectionString: PG_URL, schema: s.schema });
  try {
    const token = await b.createToken('team', 'alice');
    assert.deepEqual(await a.tokenOf(token), { workspace: 'team', user: 'alice' }, 'looked up, so cached');
    assert.deepEqual([...(await hiddenFrom(a, 'team', 'bob'))], []);

    await b.noteThread('team', { id: 'T-1', creator: 'alice', visibility: 'private' });
    await roundTrip(b, a, 1);
    assert.deepEqual([...(await hiddenFrom(a, 'team', 'bob'))], ['T-1'], 'hidden on the other instance');
    assert.deepEqual([...(await hiddenFrom(a, 'team', 'alice'))], [], 'not from its creator');

    const pool = s.newPool(1);
    await pool.query(`DELETE FROM "${s.schema}".tokens WHERE hash = $1`, [hashToken(token)]);
    await roundTrip(b, a, 2);
    assert.equal(await a.tokenOf(token), undefined, 'revoked on the other instance');

    await b.noteThread('team', { id: 'T-1', visibility: 'workspace' });
    await roundTrip(b, a, 3);
    assert.deepEqual([...(await hiddenFrom(a, 'team', 'bob'))], [], 'shown again');
  } finally {
    await a.close();
    await b.close();
    await s.drop();
  }
});
