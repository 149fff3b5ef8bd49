/**
 * A throwaway schema in the test database for one test run. The database comes from
 * SKEIN_PG_URL (default postgres://postgres@127.0.0.1:5432/test); SKEIN_PG_URL=skip turns the
 * Postgres tests into explicit skips. An unreachable server is a failure, never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the Postgres tests connect. */
export const PG_URL = process.env.SKEIN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True only when the Postgres tests were switched off on purpose (SKEIN_PG_URL=skip). */
export const PG_SKIPPED = PG_URL === 'skip';

/** A uniquely named schema plus the pools opened on it; `drop()` removes the schema and ends them. */
export interface TestSchema {
  schema: string;
  /** A pool of its own (several pools act like several server processes). */
  newPool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

/** Checks that the server answers (failing with a message that says what to do), then names a fresh schema. */
export async function createTestSchema(): Promise<TestSchema> {
  const pools: pg.Pool[] = [];
  const newPool = (max = 4) => {
    const pool = new pg.Pool({ connectionString: PG_URL, max, connectionTimeoutMillis: 5000 });
    pools.push(pool);
    return pool;
  };
  const probe = newPool(1);
  try {
    await probe.query('SELECT 1');
  } catch (err) {
    await Promise.all(pools.map((p) => p.end()));
    throw new Error(
      `Postgres is not reachable at ${PG_URL}: ${(err as Error).message}. Start it, point SKEIN_PG_URL at another server, ` +
        'or set SKEIN_PG_URL=skip to skip the Postgres tests on purpose.',
      { cause: err },
    );
  }
  const schema = `skein_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    schema,
    newPool,
    async drop() {
      try {
        await probe.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
    },
  };
}
