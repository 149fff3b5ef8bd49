/**
 * The server killed with SIGKILL mid-sync and restarted, on PostgreSQL (a throwaway schema of the
 * test database): nothing it acknowledged is lost, nothing any device wrote is lost or doubled,
 * every device ends identical to the server (the scenario is in test/helpers/server-crash.ts).
 */
import { test } from 'node:test';
import { createTestSchema, PG_SKIPPED, PG_URL } from '../helpers/postgres.js';
import { runServerCrashScenario } from '../helpers/server-crash.js';

test('PostgreSQL server killed with SIGKILL mid-sync and restarted: nothing lost', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async (t) => {
  const db = await createTestSchema();
  try {
    await runServerCrashScenario({ db: PG_URL, schema: db.schema }, (line) => t.diagnostic(line));
  } finally {
    await db.drop();
  }
});
