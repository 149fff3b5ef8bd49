/**
 * Any JSON a caller may send round-trips exactly through PostgreSQL (property test): a store over
 * the Postgres backend, and sync between two devices through a `skein serve --db` on it. The
 * SQLite, archive and SQLite-server paths are in json-roundtrip.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { openPostgresBackend, openStore } from '../../src/index.js';
import { anyPayload, assertPayload, writePayload } from '../helpers/json-data.js';
import { createTestSchema, PG_SKIPPED, PG_URL, type TestSchema } from '../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice } from '../helpers/sync-devices.js';

const RUNS = { numRuns: 15, seed: 7007 };

if (PG_SKIPPED) {
  test('json round-trip through postgres', { skip: 'SKEIN_PG_URL=skip' }, () => {});
} else {
  describe('any JSON round-trips through PostgreSQL', () => {
    let db: TestSchema;
    let server: ServerProcess | undefined;
    before(async () => {
      db = await createTestSchema();
    });
    after(async () => {
      await server?.stop();
      await db?.drop();
    });

    test('a store over the Postgres backend', async () => {
      const pool = db.newPool();
      await fc.assert(
        fc.asyncProperty(anyPayload, async (p) => {
          const backend = await openPostgresBackend({ pool, schema: db.schema, workspace: `ws-${randomUUID()}` });
          const store = await openStore({ dir: ':memory:', backend });
          const id = await writePayload(store, p);
          assertPayload(await store.getThread(id), p, 'postgres');
          await store.close();
          // A fresh store on the same workspace reads it from the database, not from a cache.
          const again = await openStore({ dir: ':memory:', backend: await openPostgresBackend({ pool, schema: db.schema, workspace: backend.workspace }) });
          assertPayload(await again.getThread(id), p, 'postgres, read again');
          await again.close();
        }),
        RUNS,
      );
    });

    test('between devices through a server on Postgres', async () => {
      server = await startServerProcess({ db: PG_URL, schema: db.schema });
      const token = await server.token('json');
      const a = await openDevice('pg-json-a', server.url, token, { memory: true });
      const b = await openDevice('pg-json-b', server.url, token, { memory: true });
      try {
        await fc.assert(
          fc.asyncProperty(anyPayload, async (p) => {
            const id = await writePayload(a.store, p);
            await a.store.sync.now();
            await b.store.sync.now();
            assertPayload(await b.store.getThread(id), p, 'pulled from a Postgres server');
          }),
          RUNS,
        );
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
