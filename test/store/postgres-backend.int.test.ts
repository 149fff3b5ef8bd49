/**
 * The Postgres backend against a real server: the shared storage contract (each test in a fresh
 * workspace of one throwaway schema), plus what only Postgres has: workspaces sharing a database,
 * byte-wise key order whatever the database collation, and who owns the pool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { SkeinError, ErrorCode, openPostgresBackend, type StorageBackend } from '../../src/index.js';
import { runStoreContractTests } from '../../src/testing/contract.js';
import type { Op } from '../../src/model/types.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { ALL, appendOps, createBatch, seedThread, T0, user, visibleMessages } from '../../src/testing/contract-fixtures.js';
import { createTestSchema, PG_SKIPPED, PG_URL, type TestSchema } from '../helpers/postgres.js';

if (PG_SKIPPED) {
  test('postgres backend', { skip: 'SKEIN_PG_URL=skip' }, () => {});
} else {
  let db: TestSchema;
  let pool: pg.Pool;
  before(async () => {
    db = await createTestSchema();
    pool = db.newPool();
  });
  after(async () => {
    await db?.drop();
  });

  const open = (workspace: string): Promise<StorageBackend> => openPostgresBackend({ pool, schema: db.schema, workspace });

  runStoreContractTests('postgres', async () => {
    const backend = await open(`ws-${randomUUID()}`);
    return { backend, teardown: () => backend.close() };
  });

  describe('postgres backend', () => {
    test('workspaces in one schema share nothing: threads, ops, lists, sequences and leases are per workspace', async () => {
      const a = await open(`ws-${randomUUID()}`);
      const b = await open(`ws-${randomUUID()}`);
      const batch = await createBatch(a, { title: 'same id' }, [user('in a')]);
      await a.commit([batch], T0);
      assert.equal(await b.getHead(batch.threadId), undefined);
      assert.deepEqual(await b.listThreads({ limit: 10, snapshot: await a.maxSeq() }), []);
      assert.equal(await b.maxSeq(), 0);
      assert.deepEqual(await b.opsSince(0, 100), []);
      // The same thread id can live in both workspaces, each with its own log.
      const inB = await createBatch(b, { title: 'same id' }, [user('in b'), user('more')]);
      await b.commit([{ ...inB, threadId: batch.threadId, head: { ...inB.head, id: batch.threadId }, ops: inB.ops.map((o) => ({ ...o, threadId: batch.threadId })) as Op[] }], T0);
      assert.deepEqual((await a.messagesAfter(batch.threadId, undefined, ALL)).map((m) => m.content), ['in a']);
      assert.deepEqual((await b.messagesAfter(batch.threadId, undefined, ALL)).map((m) => m.content), ['in b', 'more']);
      assert.deepEqual(await a.usage([batch.threadId], 'all'), []);
      assert.notEqual(await a.acquireLease(batch.threadId, 'x', 1000, T0), undefined);
      assert.notEqual(await b.acquireLease(batch.threadId, 'y', 1000, T0), undefined, 'a lease in one workspace does not hold another');
      await a.close();
      await b.close();
    });

    test('message order is byte-wise (COLLATE "C"), whatever the database default collation', async () => {
      const backend = await open(`ws-${randomUUID()}`);
      // Keys whose byte order differs from natural-language collations (which ignore punctuation and case first).
      const keys = ['a-b', 'aB', 'a!b', 'ab', 'a_b', 'A', 'a b', 'a'];
      const batch = await createBatch(backend, {}, keys.map((k) => user(k)));
      const byId = new Map<string, string>();
      batch.ops = batch.ops.map((op) => {
        if (op.type !== 'user:message') return op;
        byId.set(op.message.id, op.message.content);
        return { ...op, message: { ...op.message, key: op.message.content } };
      });
      batch.inserts = batch.inserts.map((r) => ({ ...r, message: { ...r.message, key: byId.get(r.message.id)! } }));
      await backend.commit([batch], T0);
      const sorted = [...keys].sort();
      assert.deepEqual(sorted, ['A', 'a', 'a b', 'a!b', 'a-b', 'aB', 'a_b', 'ab']);
      assert.deepEqual((await backend.messagesAfter(batch.threadId, undefined, ALL)).map((m) => m.key), sorted);
      assert.deepEqual((await backend.messagesAfter(batch.threadId, 'a!b', 2)).map((m) => m.key), ['a-b', 'aB']);
      assert.deepEqual(await backend.locate(batch.threadId, { index: 3 }), { index: 3, message: (await backend.messagesAfter(batch.threadId, 'a b', 1))[0] });
      // The test database sorts C-like by default, so also check that the columns carry "C" themselves.
      const { rows } = await pool.query(
        `SELECT a.attname, c.collname FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_collation c ON c.oid = a.attcollation WHERE n.nspname = $1 AND t.relname = 'messages' AND a.attname IN ('key', 'model', 'day')`,
        [db.schema],
      );
      assert.deepEqual(Object.fromEntries(rows.map((r: { attname: string; collname: string }) => [r.attname, r.collname])), { key: 'C', model: 'C', day: 'C' });
      await backend.close();
    });

    test('close() leaves a shared pool open and ends a pool the backend opened; a closed backend refuses with CLOSED', async () => {
      const shared = await open(`ws-${randomUUID()}`);
      const { id } = await seedThread(shared, [user('x')]);
      await shared.close();
      await assert.rejects(shared.getHead(id), (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.CLOSED);
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the shared pool still works');

      const own = await openPostgresBackend({ connectionString: PG_URL, schema: db.schema, workspace: `ws-${randomUUID()}` });
      await seedThread(own, [user('y')]);
      assert.equal(await own.maxSeq() > 0, true);
      await own.close();
      await assert.rejects(own.commit([], T0), (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.CLOSED);
    });

    test('reopening a migrated schema keeps the data; bad options are VALIDATION errors', async () => {
      const ws = `ws-${randomUUID()}`;
      const first = await open(ws);
      const { id, ops } = await seedThread(first, [user('kept')]);
      await appendOps(first, id, [user('too')]);
      await first.close();
      const again = await open(ws);
      assert.deepEqual((await again.messagesAfter(id, undefined, ALL)).map((m) => m.content), ['kept', 'too']);
      assert.deepEqual((await again.ops(id, 0, 2)).map((o) => o.opId), ops.map((o) => o.opId));
      assert.deepEqual(visibleMessages(id, await again.ops(id, 0, ALL)), await again.messagesAfter(id, undefined, ALL));
      const { rows } = await pool.query(`SELECT version FROM "${db.schema}".skein_schema_version ORDER BY version`);
      assert.deepEqual(rows.map((r: { version: number }) => r.version), POSTGRES_MIGRATIONS.map((_m, i) => i + 1), 'each migration applied once');
      await again.close();

      for (const bad of [
        { pool, schema: 'Robert"; DROP TABLE x; --', workspace: 'w' },
        { pool, schema: db.schema, workspace: '' },
        { schema: db.schema, workspace: 'w' },
      ]) {
        await assert.rejects(openPostgresBackend(bad), (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.VALIDATION);
      }
    });
  });
}
