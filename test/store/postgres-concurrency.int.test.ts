/**
 * Several server processes on one Postgres: each backend instance here has a pool of its own, as
 * a separate process would. Concurrent commits to one thread must not both pass the version
 * check, and the global sequence must never let a reader's cursor skip an op committed later.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, SkeinError, openPostgresBackend, type StorageBackend } from '../../src/index.js';
import type { ThreadID } from '../../src/model/types.js';
import { ALL, T0, appendBatch, createBatch, seedThread, user } from '../../src/testing/contract-fixtures.js';
import { createTestSchema, PG_SKIPPED, type TestSchema } from '../helpers/postgres.js';

const ROUNDS = 15;

if (PG_SKIPPED) {
  test('postgres concurrency', { skip: 'SKEIN_PG_URL=skip' }, () => {});
} else {
  let db: TestSchema;
  before(async () => {
    db = await createTestSchema();
  });
  after(async () => {
    await db?.drop();
  });

  /** Backends on one workspace, each with a pool of its own. */
  const processes = (n: number): Promise<StorageBackend[]> => {
    const workspace = `ws-${randomUUID()}`;
    return Promise.all(Array.from({ length: n }, () => openPostgresBackend({ pool: db.newPool(), schema: db.schema, workspace })));
  };

  const isConflict = (r: PromiseSettledResult<void>) =>
    r.status === 'rejected' && r.reason instanceof SkeinError && r.reason.code === ErrorCode.VERSION_CONFLICT;

  describe('postgres concurrency', () => {
    test('two processes committing to one thread at once: exactly one wins, the other gets VERSION_CONFLICT, the log has no gap or duplicate', async () => {
      const [p, q] = await processes(2);
      const { id, ops: created } = await seedThread(p!, [user('start')]);
      const winners: string[] = [];
      const losers: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Both build on the same stored head, as two servers answering two pushes would.
        const [bp, bq] = await Promise.all([appendBatch(p!, id, [user(`p${round}`)]), appendBatch(q!, id, [user(`q${round}`)])]);
        assert.equal(bp.baseVersion, bq.baseVersion);
        const results = await Promise.allSettled([p!.commit([bp], bp.head.updated), q!.commit([bq], bq.head.updated)]);
        const won = results.filter((r) => r.status === 'fulfilled').length;
        assert.equal(won, 1, `round ${round}: ${won} commits won: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join(', ')}`);
        assert.ok(results.some(isConflict), `round ${round}: the loser must get VERSION_CONFLICT`);
        const [w, l] = results[0]!.status === 'fulfilled' ? [bp, bq] : [bq, bp];
        winners.push(w.ops[0]!.opId);
        losers.push(l.ops[0]!.opId);
      }
      const log = await q!.ops(id, 0, ALL);
      assert.deepEqual(
        log.map((o) => o.v),
        Array.from({ length: created.length + ROUNDS }, (_, i) => i + 1),
        'versions 1..n, no gap, no duplicate',
      );
      assert.equal(new Set(log.map((o) => o.opId)).size, log.length);
      assert.deepEqual(log.slice(created.length).map((o) => o.opId), winners);
      for (const opId of losers) assert.equal(await p!.hasOp(id, opId), false);
      assert.equal((await p!.getHead(id))?.v, log.length);
      assert.equal((await p!.messagesAfter(id, undefined, ALL)).length, 1 + ROUNDS);
      assert.deepEqual(await p!.inconsistentThreads(), []);
      await Promise.all([p!.close(), q!.close()]);
    });

    test('two processes creating the same thread at once: one creates it, the other gets VERSION_CONFLICT', async () => {
      const [p, q] = await processes(2);
      for (let round = 0; round < ROUNDS; round++) {
        const bp = await createBatch(p!, { title: 'p' }, [user('from p')]);
        const made = await createBatch(q!, { title: 'q' }, [user('from q')]);
        const bq = { ...made, threadId: bp.threadId, head: { ...made.head, id: bp.threadId }, ops: made.ops.map((o) => ({ ...o, threadId: bp.threadId })) };
        const results = await Promise.allSettled([p!.commit([bp], T0), q!.commit([bq], T0)]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
        assert.ok(results.some(isConflict), `round ${round}: the loser must get VERSION_CONFLICT`);
        const winner = results[0]!.status === 'fulfilled' ? bp : bq;
        assert.deepEqual(await q!.ops(bp.threadId, 0, ALL), winner.ops);
        assert.deepEqual(await p!.getHead(bp.threadId), winner.head);
      }
      await Promise.all([p!.close(), q!.close()]);
    });

    test('a cursor at maxSeq never has an op committed below it later (pull cursors and listThreads snapshots stay exact)', async () => {
      const writers = await processes(3);
      const [reader] = writers;
      const threads: ThreadID[][] = await Promise.all(writers.map(async (w) => [(await seedThread(w, [user('a')])).id, (await seedThread(w, [user('b')])).id]));
      const seen = new Map<number, string>();
      let writing = true;
      const read = async () => {
        while (writing) {
          const cursor = await reader!.maxSeq();
          const below = (await reader!.opsSince(0, 100_000)).filter((x) => x.seq <= cursor);
          seen.set(cursor, below.map((x) => x.seq).join(','));
        }
      };
      const write = async (w: StorageBackend, ids: ThreadID[]) => {
        for (let i = 0; i < ROUNDS * 2; i++) {
          const id = ids[i % ids.length]!;
          const batch = await appendBatch(w, id, [user(`m${i}`)]);
          await w.commit([batch], batch.head.updated);
        }
      };
      const reading = read();
      await Promise.all(writers.map((w, i) => write(w, threads[i]!)));
      writing = false;
      await reading;
      const final = await reader!.opsSince(0, 100_000);
      assert.ok(seen.size > 1, 'the reader saw the sequence move');
      for (const [cursor, then] of seen) {
        const now = final.filter((x) => x.seq <= cursor).map((x) => x.seq).join(',');
        assert.equal(now, then, `ops at or below cursor ${cursor} changed after the cursor was handed out`);
      }
      await Promise.all(writers.map((w) => w.close()));
    });
  });
}
