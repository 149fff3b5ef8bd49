/**
 * The slice of `pg` that skein uses, declared as our own interface so that no driver type leaks
 * into the public API: a caller may hand in its own `pg.Pool`, which fits {@link PgPool}.
 */
import { createRequire } from 'node:module';
import { SkeinError, ErrorCode } from '../../errors.js';

/** What a query answers. Rows are untyped: callers say what they selected. */
export interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/** Anything that runs a parameterized query. */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<PgResult>;
}

/** One connection checked out of a pool; `release(err)` destroys it instead of reusing it. */
export interface PgClient extends PgQueryable {
  release(err?: Error | boolean): void;
}

/** A connection pool. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
}

/** Opens a pool on a `postgres://` connection string. */
export function createPgPool(connectionString: string, options: { max?: number } = {}): PgPool {
  const require = createRequire(import.meta.url);
  const pg = require('pg') as { Pool: new (config: { connectionString: string; max?: number }) => PgPool };
  return new pg.Pool({ connectionString, ...options });
}

/** Postgres' SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** The constraint a unique violation broke, or undefined when `err` is something else. */
export function uniqueViolation(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; constraint?: unknown };
  return e.code === UNIQUE_VIOLATION ? String(e.constraint ?? '') : undefined;
}

/** A schema name that needs no quoting rules beyond double quotes: lower case, digits, `_`. */
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name, double-quoted for SQL; VALIDATION unless it matches {@link SCHEMA_RE}. */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_RE.test(schema))
    throw new SkeinError(ErrorCode.VALIDATION, `schema: ${JSON.stringify(schema)} is not a schema name (a-z, 0-9, _; 63 at most)`, {
      details: { field: 'schema' },
    });
  return `"${schema}"`;
}

/** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        // A connection that cannot roll back must not go back to the pool mid-transaction.
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Brings a schema to the newest version. Migrations are an ordered array of SQL; the index is the
 * version, and each applied version is a row of `skein_schema_version` in that schema. Runs in
 * one transaction under an advisory lock, so processes opening the same schema at once migrate it
 * once; the migration SQL names tables unqualified and lands in `schema` through search_path.
 */
export async function migrate(pool: PgPool, schema: string, migrations: readonly string[]): Promise<void> {
  const quoted = quoteSchema(schema);
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`skein-migrate:${schema}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await c.query(`SET LOCAL search_path TO ${quoted}`);
    await c.query('CREATE TABLE IF NOT EXISTS skein_schema_version (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await c.query('SELECT coalesce(max(version), 0) AS v FROM skein_schema_version');
    const current = (rows[0] as { v: number }).v;
    for (let v = current; v < migrations.length; v++) {
      await c.query(migrations[v]!);
      await c.query('INSERT INTO skein_schema_version (version) VALUES ($1)', [v + 1]);
    }
  });
}
