/**
 * The server's PostgreSQL storage: every workspace in one schema (rows keyed by workspace), one
 * pool shared by the workspaces' backends, token hashes in `tokens`, and pokes between server
 * instances through LISTEN/NOTIFY on one channel per schema.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { openPostgresBackend, type PostgresBackend } from '../store/postgres/postgres-backend.js';
import { createPgPool, quoteSchema, type PgPool } from '../store/postgres/driver.js';
import { hashToken, newToken, parseWorkspace, type ServerStorage } from './server-storage.js';

type Event = { id: string; v: number; cursor: number };
type Listener = (workspace: string, event: Event) => void;

/** A dedicated connection for LISTEN (pooled connections cannot hold a subscription). */
interface ListenClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  end(): Promise<void>;
}

/** Options of the Postgres storage. */
export interface PostgresStorageOptions {
  connectionString: string;
  /** Default `skein`. */
  schema?: string;
}

/** Opens (and migrates) the storage, and starts listening for other instances' pokes. */
export async function openPostgresServerStorage(options: PostgresStorageOptions): Promise<ServerStorage> {
  const schema = options.schema ?? 'skein';
  const q = quoteSchema(schema);
  const pool = createPgPool(options.connectionString, { max: 10 });
  try {
    // Migrates the shared tables once, through the backend of a first workspace.
    await (await openPostgresBackend({ pool, schema, workspace: '_' })).close();
    await pool.query(`CREATE TABLE IF NOT EXISTS ${q}.tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created BIGINT NOT NULL)`);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const require = createRequire(import.meta.url);
  const pg = require('pg') as { Client: new (config: { connectionString: string }) => ListenClient };
  const listen = new pg.Client({ connectionString: options.connectionString });
  const storage = new PostgresServerStorage(pool, schema, listen);
  await listen.connect();
  await listen.query(`LISTEN ${storage.channel}`);
  return storage;
}

class PostgresServerStorage implements ServerStorage {
  readonly description: string;
  readonly channel: string;
  private readonly backends = new Map<string, Promise<PostgresBackend>>();
  private readonly listeners = new Set<Listener>();
  private readonly q: string;

  constructor(
    private readonly pool: PgPool,
    private readonly schema: string,
    private readonly listenClient: ListenClient,
  ) {
    this.q = quoteSchema(schema);
    this.description = `postgres:${schema}`;
    // A channel is an identifier of at most 63 bytes (pg_notify refuses longer): a long schema name gets a hashed one.
    const channel = `skein_events_${schema}`;
    this.channel = channel.length <= 63 ? channel : `skein_events_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
    listenClient.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      try {
        const { ws, ...event } = JSON.parse(msg.payload) as Event & { ws: string };
        for (const l of this.listeners) l(ws, event);
      } catch {
        // not ours
      }
    });
    listenClient.on('error', (err) => console.error(`skein serve: LISTEN connection: ${err.message}`));
  }

  backend(workspace: string): Promise<PostgresBackend> {
    const ws = parseWorkspace(workspace);
    let b = this.backends.get(ws);
    if (!b) {
      b = openPostgresBackend({ pool: this.pool, schema: this.schema, workspace: ws });
      this.backends.set(ws, b);
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

  async publish(workspace: string, event: Event): Promise<void> {
    // Every instance (this one included) hears it through LISTEN.
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ ws: workspace, ...event })]);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.listenClient.end().catch(() => undefined);
    for (const b of this.backends.values()) await (await b).close().catch(() => undefined);
    await this.pool.end();
  }
}
