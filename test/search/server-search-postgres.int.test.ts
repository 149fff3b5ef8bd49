import { describe } from 'node:test';
import { PG_SKIPPED, PG_URL, createTestSchema, type TestSchema } from '../helpers/postgres.js';
import { serverSearchTests } from '../helpers/server-search.js';

describe('GET /v1/search on PostgreSQL (tsvector + GIN)', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, () => {
  let db: TestSchema | undefined;
  serverSearchTests(
    async () => {
      db = await createTestSchema();
      return { db: PG_URL, schema: db.schema };
    },
    async () => db?.drop(),
  );
});
