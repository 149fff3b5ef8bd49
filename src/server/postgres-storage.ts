/**
 * The server's PostgreSQL storage: every workspace in one schema (rows keyed by workspace), one
 * pool shared by the workspaces' backends, token hashes in `tokens`, and pokes between server
 * instances through LISTEN/NOTIFY on one channel per schema.
 */
import { createHash } from 'node:crypto';
import { openPostgresBackend, type PostgresBackend } from '../store/postgres/postgres-backend.js';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations.js';
import { createPgPool, migrate, quoteSchema, type PgPool } from '../store/postgres/driver.js';
import { ListenConnection } from './listen-connection.js';
import { hashToken, newToken, parseWorkspace, type ServerStorage, type ChangeEvent, type StorageStatus } from './server-storage.js';

type Listener = (workspace: string, event: ChangeEvent) => void;

/**
 * The server's own tables, an ordered array like the backend's (versions counted in
 * `skein_server_schema_version`). `IF NOT EXISTS`: servers before this array made `tokens` ad hoc.
 */
export const SERVER_POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created BIGINT NOT NULL);`,
];

/** Options of the Postgres storage. */
export interface PostgresStorageOptions {
  connectionString: string;
  /** Default `skein`. */
  schema?: string;
  /** Backoff bounds of re-LISTEN after a lost connection (default 250 ms to 30 s). */
  listenBackoffMs?: { min: number; max: number };
}

/** Opens (and migrates) the storage, and starts listening for other instances' pokes. */
export async function openPostgresServerStorage(options: PostgresStorageOptions): Promise<ServerStorage> {
  const schema = options.schema ?? 'skein';
  const pool = createPgPool(options.connectionString, { max: 10 });
  try {
    await migrate(pool, schema, POSTGRES_MIGRATIONS);
    await migrate(pool, schema, SERVER_POSTGRES_MIGRATIONS, { versionTable: 'skein_server_schema_version' });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const storage = new PostgresServerStorage(pool, schema, options);
  try {
    await storage.listen.start();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return storage;
}

class PostgresServerStorage implements ServerStorage {
  readonly description: string;
  readonly channel: string;
  readonly listen: ListenConnection;
  private readonly backends = new Map<string, Promise<PostgresBackend>>();
  private readonly listeners = new Set<Listener>();
  private readonly q: string;

  constructor(
    private readonly pool: PgPool,
    private readonly schema: string,
    options: PostgresStorageOptions,
  ) {
    this.q = quoteSchema(schema);
    this.description = `postgres:${schema}`;
    // A channel is an identifier of at most 63 bytes (pg_notify refuses longer): a long schema name gets a hashed one.
    const channel = `skein_events_${schema}`;
    this.channel = channel.length <= 63 ? channel : `skein_events_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
    this.listen = new ListenConnection({
      connectionString: options.connectionString,
      channel: this.channel,
      ...(options.listenBackoffMs && { minDelayMs: options.listenBackoffMs.min, maxDelayMs: options.listenBackoffMs.max }),
      onNotification: (payload) => {
        try {
          const { ws, ...event } = JSON.parse(payload) as ChangeEvent & { ws: string };
          for (const l of this.listeners) l(ws, event);
        } catch {
          // not ours
        }
      },
      onRestored: () => void this.pokeAll(),
    });
  }

  /** After LISTEN was down, pokes may have been missed: every open workspace's clients are told to pull. */
  private async pokeAll(): Promise<void> {
    for (const [ws, b] of this.backends) {
      try {
        const cursor = await (await b).maxSeq();
        for (const l of this.listeners) l(ws, { cursor });
      } catch {
        // the database went again: the next restoration pokes
      }
    }
  }

  async status(): Promise<StorageStatus> {
    let database: 'up' | 'down' = 'up';
    let error: string | undefined;
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      database = 'down';
      error = (err as Error).message;
    }
    const live = this.listen.state();
    return { ok: database === 'up' && live.state === 'listening', database, ...(error !== undefined && { error }), live };
  }

  metricsText(): string {
    const live = this.listen.state();
    return [
      '# HELP skein_live_listening Whether the LISTEN connection for pokes between instances is up (1) or reconnecting (0).',
      '# TYPE skein_live_listening gauge',
      `skein_live_listening ${live.state === 'listening' ? 1 : 0}`,
      '# HELP skein_live_reconnects_total LISTEN connections re-established after a loss.',
      '# TYPE skein_live_reconnects_total counter',
      `skein_live_reconnects_total ${live.reconnects}`,
      '',
    ].join('\n');
  }

  backend(workspace: string): Promise<PostgresBackend> {
    const ws = parseWorkspace(workspace);
    let b = this.backends.get(ws);
    if (!b) {
      b = openPostgresBackend({ pool: this.pool, schema: this.schema, workspace: ws });
      this.backends.set(ws, b);
      // An open that failed (the database was down) is tried again by the next request.
      b.catch(() => this.backends.get(ws) === b && this.backends.delete(ws));
    }
    return b;
  }

  async createToken(workspace: string): Promise<string> {
    const ws = parseWorkspace(workspace);
    const token = newToken();
    await this.pool.query(`INSERT INTO ${this.q}.tokens (hash, workspace, created) VALUES ($1, $2, $3)`, [hashToken(token), ws, Date.now()]);
    return token;
  }

  async workspaceOf(token: string): Promise<string | undefined> {
    const r = await this.pool.query(`SELECT workspace FROM ${this.q}.tokens WHERE hash = $1`, [hashToken(token)]);
    return (r.rows[0] as { workspace: string } | undefined)?.workspace;
  }

  async publish(workspace: string, event: ChangeEvent): Promise<void> {
    // Every instance (this one included) hears it through LISTEN.
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ ws: workspace, ...event })]);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.listen.close();
    for (const b of this.backends.values()) await (await b).close().catch(() => undefined);
    await this.pool.end();
  }
}
