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

/** What pg's own pool and client add to the interfaces above (kept private to this file). */
interface RawClient extends PgClient {
  on(event: 'error', fn: (err: Error) => void): void;
  removeListener(event: 'error', fn: (err: Error) => void): void;
}
interface RawPool {
  query(sql: string, params?: unknown[]): Promise<PgResult>;
  connect(): Promise<RawClient>;
  end(): Promise<void>;
  on(event: 'error', fn: (err: Error) => void): void;
}

/** Options of {@link createPgPool}. */
export interface PgPoolOptions {
  max?: number;
  /** How long a request waits for a connection before it fails (default 10 s). */
  connectionTimeoutMillis?: number;
  /**
   * Told about connections that died while idle in the pool (the database restarted, failed over,
   * or an administrator terminated them); the pool has already dropped them. Default: one line on
   * stderr.
   */
  onIdleError?: (err: Error) => void;
}

const LOST_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const LOST_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const LOST_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed|Connection ended|terminating connection/i;

/**
 * Whether `err` says the database connection was lost or refused (server restart, failover, a
 * terminated backend, too many connections, unreachable host) rather than that a statement was
 * wrong: a retry later, on a new connection, can succeed.
 */
export function connectionLost(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || LOST_SQLSTATES.has(code) || LOST_ERRNOS.has(code)) return true;
  return LOST_MESSAGE.test(typeof e.message === 'string' ? e.message : '');
}

/** A lost database connection as a SkeinError the server answers with 503 and Retry-After. */
export function unavailable(err: unknown): SkeinError {
  const why = err instanceof Error ? err.message : String(err);
  return new SkeinError(ErrorCode.SERVER, `the database is unavailable (${why}); retry later`, {
    cause: err,
    details: { status: 503, retryAfterSeconds: 1 },
  });
}

function translate(err: unknown): never {
  throw connectionLost(err) ? unavailable(err) : err;
}

/**
 * Opens a pool on a `postgres://` connection string that survives a database restart: a
 * connection that dies idle in the pool is dropped and reported (an unhandled `'error'` would
 * end the process), one that dies while checked out is destroyed on release instead of going back,
 * and a lost connection surfaces as {@link unavailable} (503) rather than as a crash or a 500.
 * New requests open new connections, so the pool recovers on its own once the database is back.
 */
export function createPgPool(connectionString: string, options: PgPoolOptions = {}): PgPool {
  const require = createRequire(import.meta.url);
  const pg = require('pg') as { Pool: new (config: Record<string, unknown>) => RawPool };
  const { onIdleError, ...config } = options;
  const raw = new pg.Pool({ connectionString, connectionTimeoutMillis: 10_000, ...config });
  raw.on('error', onIdleError ?? ((err) => console.error(`skein: a pooled database connection was lost (${err.message}); it will be replaced`)));
  return {
    query: (sql, params) => raw.query(sql, params).catch(translate),
    end: () => raw.end(),
    async connect() {
      const client = await raw.connect().catch(translate);
      let broken: Error | undefined;
      // While checked out, pg leaves a dead connection's 'error' unhandled: keep it, destroy on release.
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on('error', onError);
      let released = false;
      return {
        query: (sql, params) =>
          client.query(sql, params).catch((err: unknown) => {
            if (connectionLost(err)) broken ??= err instanceof Error ? err : new Error(String(err));
            return translate(err);
          }),
        release(err) {
          if (released) return;
          released = true;
          client.removeListener('error', onError);
          client.release(err || broken || undefined);
        },
      };
    },
  };
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
 * version, and each applied version is a row of `skein_schema_version` (or `versionTable`) in that schema. Runs in
 * one transaction under an advisory lock, so processes opening the same schema at once migrate it
 * once; the migration SQL names tables unqualified and lands in `schema` through search_path.
 */
export async function migrate(pool: PgPool, schema: string, migrations: readonly string[], options: { versionTable?: string } = {}): Promise<void> {
  const quoted = quoteSchema(schema);
  // A second array of migrations in the same schema (the server's tokens) counts its versions in a table of its own.
  const table = quoteSchema(options.versionTable ?? 'skein_schema_version');
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`skein-migrate:${schema}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await c.query(`SET LOCAL search_path TO ${quoted}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await c.query(`SELECT coalesce(max(version), 0) AS v FROM ${table}`);
    const current = (rows[0] as { v: number }).v;
    for (let v = current; v < migrations.length; v++) {
      await c.query(migrations[v]!);
      await c.query(`INSERT INTO ${table} (version) VALUES ($1)`, [v + 1]);
    }
  });
}
