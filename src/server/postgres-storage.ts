/**
 * The server's PostgreSQL storage: every workspace in one schema (rows keyed by workspace), one
 * pool shared by the workspaces' backends, token hashes in `tokens`, and pokes between server
 * instances through LISTEN/NOTIFY on one channel per schema.
 */
import { createHash } from 'node:crypto';
import { openPostgresBackend, type PostgresBackend } from '../store/postgres/postgres-backend.js';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations.js';
import { createPgPool, migrate, quoteSchema, type PgPool } from '../store/postgres/driver.js';
import { AccessCache } from './access-cache.js';
import { ListenConnection } from './listen-connection.js';
import { accessFromRow, hashToken, newToken, parseUser, parseWorkspace, userOfToken, type ServerStorage, type ChangeEvent, type StorageStatus, type ThreadAccess, type TokenInfo } from './server-storage.js';

type Listener = (workspace: string, event: ChangeEvent) => void;

/**
 * The server's own tables, an ordered array like the backend's (versions counted in
 * `skein_server_schema_version`). `IF NOT EXISTS`: servers before this array made `tokens` ad hoc.
 */
export const SERVER_POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created BIGINT NOT NULL);`,
  // 2: tokens name a user; who created each thread, its visibility and share link id (visibility.ts)
  `ALTER TABLE tokens ADD COLUMN "user" TEXT;
   CREATE TABLE thread_access (workspace TEXT NOT NULL, thread TEXT NOT NULL, creator TEXT, visibility TEXT NOT NULL, share_id TEXT, PRIMARY KEY (workspace, thread));
   CREATE UNIQUE INDEX thread_access_share ON thread_access (share_id) WHERE share_id IS NOT NULL;
   CREATE INDEX thread_access_private ON thread_access (workspace) WHERE visibility = 'private';`,
  // 3: a change to a token or an access record tells every instance (NOTIFY on the schema's poke
  // channel, named as PostgresServerStorage names it) to drop what it cached (access-cache.ts).
  `CREATE FUNCTION skein_access_changed() RETURNS trigger LANGUAGE plpgsql AS $f$
   DECLARE
     ch text := 'skein_events_' || TG_TABLE_SCHEMA;
     r record;
   BEGIN
     IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
     IF length(ch) > 63 THEN ch := 'skein_events_' || left(encode(sha256(convert_to(TG_TABLE_SCHEMA, 'UTF8')), 'hex'), 40); END IF;
     IF TG_TABLE_NAME = 'tokens' THEN
       PERFORM pg_notify(ch, json_build_object('invalidate', 'token', 'hash', r.hash)::text);
     ELSE
       PERFORM pg_notify(ch, json_build_object('invalidate', 'access', 'ws', r.workspace)::text);
     END IF;
     RETURN NULL;
   END $f$;
   CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens FOR EACH ROW EXECUTE FUNCTION skein_access_changed();
   CREATE TRIGGER thread_access_changed AFTER INSERT OR UPDATE OR DELETE ON thread_access FOR EACH ROW EXECUTE FUNCTION skein_access_changed();`,
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
  private readonly cache = new AccessCache<TokenInfo, ThreadAccess>();

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
          const msg = JSON.parse(payload) as (ChangeEvent & { ws: string }) | { invalidate: 'token'; hash: string } | { invalidate: 'access'; ws: string };
          if ('invalidate' in msg) {
            if (msg.invalidate === 'token') this.cache.dropToken(msg.hash);
            else this.cache.dropWorkspace(msg.ws);
            return;
          }
          const { ws, ...event } = msg;
          for (const l of this.listeners) l(ws, event);
        } catch {
          // not ours
        }
      },
      onRestored: () => {
        // Invalidations may have been missed while LISTEN was down.
        this.cache.clear();
        void this.pokeAll();
      },
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

  async createToken(workspace: string, user?: string): Promise<string> {
    const ws = parseWorkspace(workspace);
    const u = user === undefined ? null : parseUser(user);
    const token = newToken();
    await this.pool.query(`INSERT INTO ${this.q}.tokens (hash, workspace, created, "user") VALUES ($1, $2, $3, $4)`, [hashToken(token), ws, Date.now(), u]);
    return token;
  }

  async workspaceOf(token: string): Promise<string | undefined> {
    return (await this.tokenOf(token))?.workspace;
  }

  /** The cache is used only while invalidations can arrive (LISTEN is up); otherwise every lookup asks the database. */
  private cacheUsable(): boolean {
    if (this.listen.state().state === 'listening') return true;
    this.cache.clear();
    return false;
  }

  async tokenOf(token: string): Promise<TokenInfo | undefined> {
    const hash = hashToken(token);
    return this.cache.token(
      hash,
      async () => {
        const r = await this.pool.query(`SELECT workspace, "user" FROM ${this.q}.tokens WHERE hash = $1`, [hash]);
        const row = r.rows[0] as { workspace: string; user: string | null } | undefined;
        return row && { workspace: row.workspace, user: userOfToken(hash, row.user) };
      },
      this.cacheUsable(),
    );
  }

  async noteThread(workspace: string, a: ThreadAccess): Promise<void> {
    // This instance forgets at once (after the write: a lookup that raced it is not kept); the
    // others when the trigger's NOTIFY reaches them.
    try {
      await this.pool.query(
        `INSERT INTO ${this.q}.thread_access (workspace, thread, creator, visibility, share_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace, thread) DO UPDATE SET visibility = excluded.visibility, share_id = excluded.share_id`,
        [workspace, a.id, a.creator ?? null, a.visibility, a.shareId ?? null],
      );
    } finally {
      this.cache.dropWorkspace(workspace);
    }
  }

  async accessOf(workspace: string, ids: readonly string[]): Promise<Map<string, ThreadAccess>> {
    const out = new Map<string, ThreadAccess>();
    if (ids.length === 0) return out;
    const r = await this.pool.query(`SELECT thread, creator, visibility, share_id FROM ${this.q}.thread_access WHERE workspace = $1 AND thread = ANY($2::text[])`, [workspace, [...ids]]);
    for (const row of r.rows as Parameters<typeof accessFromRow>[0][]) out.set(row.thread, accessFromRow(row));
    return out;
  }

  async privateThreads(workspace: string): Promise<readonly ThreadAccess[]> {
    return this.cache.privateThreads(
      workspace,
      async () => {
        const r = await this.pool.query(`SELECT thread, creator, visibility, share_id FROM ${this.q}.thread_access WHERE workspace = $1 AND visibility = 'private'`, [workspace]);
        return (r.rows as Parameters<typeof accessFromRow>[0][]).map(accessFromRow);
      },
      this.cacheUsable(),
    );
  }

  async shareOf(shareId: string): Promise<{ workspace: string; id: string } | undefined> {
    const r = await this.pool.query(`SELECT workspace, thread FROM ${this.q}.thread_access WHERE share_id = $1`, [shareId]);
    const row = r.rows[0] as { workspace: string; thread: string } | undefined;
    return row && { workspace: row.workspace, id: row.thread };
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
