/**
 * Where the sync server keeps its data: one storage backend per workspace (the same contract as
 * the local store), plus token hashes. The embedded default is SQLite under a data directory (one
 * database per workspace); PostgreSQL holds every workspace in one schema, keyed by workspace.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import type { StorageBackend } from '../store/backend.js';
import { openSqliteBackend } from '../store/sqlite/sqlite-backend.js';
import { migrate, openSqlite, type SqliteDatabase, type SqliteStatement } from '../store/sqlite/driver.js';
import { AccessCache } from './access-cache.js';
import { syncedWrites, WalSync } from './wal-sync.js';

/**
 * News that a workspace changed, what the server pokes clients with: a thread's new version, or
 * (id and v absent, after live news was lost and came back) only "pull from here".
 */
export interface ChangeEvent {
  id?: string;
  v?: number;
  cursor: number;
}

/** What a storage reports on `/healthz`. */
export interface StorageStatus {
  /** Everything works (the database answers; live pokes flow). */
  ok: boolean;
  database: 'up' | 'down';
  error?: string;
  live?: { state: string; reconnects: number; downSince?: number; lastError?: string };
}

/** Who a token belongs to: its workspace and its user (the token's own identity when made without `--user`). */
export interface TokenInfo {
  workspace: string;
  user: string;
}

/** What the server knows of a thread's access: who created it and its visibility (from its head). */
export interface ThreadAccess {
  id: string;
  /** The user of the token that first pushed the thread (its `thread:create`); absent when unknown. */
  creator?: string;
  visibility: 'private' | 'workspace' | 'public';
  shareId?: string;
}

/** What the server needs of its storage. */
export interface ServerStorage {
  /** A short description for logs (`sqlite:/data`, `postgres:...`). */
  readonly description: string;
  /** The backend of a workspace (created on first use). */
  backend(workspace: string): Promise<StorageBackend>;
  /** Makes a token for a workspace (naming a user, when given); only its hash is kept. */
  createToken(workspace: string, user?: string): Promise<string>;
  /** The workspace a token belongs to, or undefined. */
  workspaceOf(token: string): Promise<string | undefined>;
  /** The workspace and user of a token, or undefined (cached: see access-cache.ts). */
  tokenOf(token: string): Promise<TokenInfo | undefined>;
  /** Records a thread's visibility and share id; the creator is kept from the first record. */
  noteThread(workspace: string, access: ThreadAccess): Promise<void>;
  /** The access records of these threads (threads never recorded are absent: `workspace`). */
  accessOf(workspace: string, ids: readonly string[]): Promise<Map<string, ThreadAccess>>;
  /** Every private thread of a workspace (cached: see access-cache.ts). */
  privateThreads(workspace: string): Promise<readonly ThreadAccess[]>;
  /** The thread a share link id names, whatever its visibility now (callers check it is still public). */
  shareOf(shareId: string): Promise<{ workspace: string; id: string } | undefined>;
  /**
   * Tells every server instance on this storage that a workspace changed (Postgres: NOTIFY), and
   * subscribes to such news. Single-instance storages call listeners directly.
   */
  publish(workspace: string, event: Required<ChangeEvent>): Promise<void>;
  subscribe(listener: (workspace: string, event: ChangeEvent) => void): () => void;
  /** Health beyond "the process answers" (absent: always ok). */
  status?(): Promise<StorageStatus>;
  /** Extra Prometheus lines (gauges of the storage's connections). */
  metricsText?(): string;
  close(): Promise<void>;
}

const WORKSPACE_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Validates a workspace name (it names files and rows). */
export function parseWorkspace(value: unknown): string {
  if (typeof value !== 'string' || !WORKSPACE_RE.test(value) || value === '.' || value === '..')
    throw new ValidationError('workspace', 'must be 1-64 characters of A-Z a-z 0-9 _ . -');
  return value;
}

/** The hash a token is stored under. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const USER_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

/** Validates a user name given to `skein token create --user`. */
export function parseUser(value: unknown): string {
  if (typeof value !== 'string' || !USER_RE.test(value)) throw new ValidationError('user', 'must be 1-64 characters of A-Z a-z 0-9 _ . @ -');
  return value;
}

/**
 * The user a token acts as: its `--user`, or, for a token made without one, an identity of its
 * own (`token:` and the start of its hash), so that a private thread it creates is its alone.
 */
export function userOfToken(hash: string, user: string | null | undefined): string {
  return user ?? `token:${hash.slice(0, 16)}`;
}

type AccessRow = { thread: string; creator: string | null; visibility: string; share_id: string | null };

/** A stored access row as a `ThreadAccess`. */
export function accessFromRow(r: AccessRow): ThreadAccess {
  return { id: r.thread, ...(r.creator !== null && { creator: r.creator }), visibility: r.visibility as ThreadAccess['visibility'], ...(r.share_id !== null && { shareId: r.share_id }) };
}

/** A new random token. */
export function newToken(): string {
  return `skn_${randomBytes(32).toString('base64url')}`;
}

const SERVER_MIGRATIONS = [
  `CREATE TABLE tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;`,
  // 2: tokens name a user; who created each thread, its visibility and share link id (visibility.ts)
  `ALTER TABLE tokens ADD COLUMN user TEXT;
   CREATE TABLE thread_access (workspace TEXT NOT NULL, thread TEXT NOT NULL, creator TEXT, visibility TEXT NOT NULL, share_id TEXT, PRIMARY KEY (workspace, thread)) WITHOUT ROWID;
   CREATE UNIQUE INDEX thread_access_share ON thread_access (share_id) WHERE share_id IS NOT NULL;
   CREATE INDEX thread_access_private ON thread_access (workspace) WHERE visibility = 'private';`,
];

/** The embedded default: `<dir>/server.db` for tokens, `<dir>/workspaces/<name>.db` per workspace. */
export class SqliteServerStorage implements ServerStorage {
  readonly description: string;
  private readonly db: SqliteDatabase;
  private readonly backends = new Map<string, StorageBackend>();
  private readonly listeners = new Set<(workspace: string, event: ChangeEvent) => void>();
  private readonly cache = new AccessCache<TokenInfo, ThreadAccess>();
  private readonly s: Record<'dataVersion' | 'token' | 'note' | 'access' | 'privates' | 'share', SqliteStatement>;
  private notes: { workspace: string; a: ThreadAccess; resolve(): void; reject(err: unknown): void }[] = [];
  /** `PRAGMA data_version` when last looked at: it moves when another connection commits to server.db. */
  private dataVersion = -1;

  constructor(private readonly dir: string) {
    this.dir = resolve(dir);
    mkdirSync(join(this.dir, 'workspaces'), { recursive: true });
    this.description = `sqlite:${this.dir}`;
    this.db = openSqlite(join(this.dir, 'server.db'), { synchronous: 'FULL' });
    migrate(this.db, SERVER_MIGRATIONS);
    const access = 'SELECT thread, creator, visibility, share_id FROM thread_access';
    this.s = {
      dataVersion: this.db.prepare('PRAGMA data_version'),
      token: this.db.prepare('SELECT workspace, user FROM tokens WHERE hash = ?'),
      note: this.db.prepare(
        `INSERT INTO thread_access (workspace, thread, creator, visibility, share_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace, thread) DO UPDATE SET visibility = excluded.visibility, share_id = excluded.share_id`,
      ),
      access: this.db.prepare(`${access} WHERE workspace = ? AND thread = ?`),
      privates: this.db.prepare(`${access} WHERE workspace = ? AND visibility = 'private'`),
      share: this.db.prepare('SELECT workspace, thread FROM thread_access WHERE share_id = ?'),
    };
  }

  /** Drops the cache when another process (`skein token`, an operator) wrote to server.db since the last look. */
  private checkOthers(): void {
    const v = (this.s.dataVersion.get() as { data_version: number }).data_version;
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.cache.clear();
    }
  }

  async backend(workspace: string): Promise<StorageBackend> {
    const ws = parseWorkspace(workspace);
    let b = this.backends.get(ws);
    if (!b) {
      // NORMAL plus an fdatasync of the WAL after each write, in the thread pool (wal-sync.ts): as durable as FULL.
      const file = join(this.dir, 'workspaces', `${ws}.db`);
      b = syncedWrites(openSqliteBackend(file, { durability: 'normal' }), new WalSync(file));
      this.backends.set(ws, b);
    }
    return b;
  }

  async createToken(workspace: string, user?: string): Promise<string> {
    const ws = parseWorkspace(workspace);
    const u = user === undefined ? null : parseUser(user);
    const token = newToken();
    this.db.prepare('INSERT INTO tokens (hash, workspace, created, user) VALUES (?, ?, ?, ?)').run(hashToken(token), ws, Date.now(), u);
    return token;
  }

  async workspaceOf(token: string): Promise<string | undefined> {
    return (await this.tokenOf(token))?.workspace;
  }

  async tokenOf(token: string): Promise<TokenInfo | undefined> {
    const hash = hashToken(token);
    this.checkOthers();
    return this.cache.token(hash, async () => {
      const row = this.s.token.get(hash) as { workspace: string; user: string | null } | undefined;
      return row && { workspace: row.workspace, user: userOfToken(hash, row.user) };
    });
  }

  /**
   * Records go in groups: those made in one turn of the event loop (the new threads of one push)
   * are written in one transaction, one fsync, instead of one each.
   */
  noteThread(workspace: string, a: ThreadAccess): Promise<void> {
    return new Promise((resolve, reject) => {
      this.notes.push({ workspace, a, resolve, reject });
      if (this.notes.length === 1) setImmediate(() => this.writeNotes());
    });
  }

  private writeNotes(): void {
    const notes = this.notes;
    this.notes = [];
    const write = (n: (typeof notes)[number]) => this.s.note.run(n.workspace, n.a.id, n.a.creator ?? null, n.a.visibility, n.a.shareId ?? null);
    try {
      this.db.transaction(() => notes.forEach(write))();
      for (const n of notes) n.resolve();
    } catch {
      // Each on its own, so that each gets its own answer.
      for (const n of notes) {
        try {
          write(n);
          n.resolve();
        } catch (err) {
          n.reject(err);
        }
      }
    } finally {
      for (const n of notes) this.cache.dropWorkspace(n.workspace);
    }
  }

  async accessOf(workspace: string, ids: readonly string[]): Promise<Map<string, ThreadAccess>> {
    const out = new Map<string, ThreadAccess>();
    for (const id of ids) {
      const r = this.s.access.get(workspace, id) as AccessRow | undefined;
      if (r) out.set(id, accessFromRow(r));
    }
    return out;
  }

  async privateThreads(workspace: string): Promise<readonly ThreadAccess[]> {
    this.checkOthers();
    return this.cache.privateThreads(workspace, async () => (this.s.privates.all(workspace) as AccessRow[]).map(accessFromRow));
  }

  async shareOf(shareId: string): Promise<{ workspace: string; id: string } | undefined> {
    const r = this.s.share.get(shareId) as { workspace: string; thread: string } | undefined;
    return r && { workspace: r.workspace, id: r.thread };
  }

  async publish(workspace: string, event: ChangeEvent): Promise<void> {
    for (const l of this.listeners) l(workspace, event);
  }

  subscribe(listener: (workspace: string, event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const b of this.backends.values()) await b.close();
    this.backends.clear();
    this.db.close();
  }
}
