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
import { migrate, openSqlite, type SqliteDatabase } from '../store/sqlite/driver.js';

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

/** What the server needs of its storage. */
export interface ServerStorage {
  /** A short description for logs (`sqlite:/data`, `postgres:...`). */
  readonly description: string;
  /** The backend of a workspace (created on first use). */
  backend(workspace: string): Promise<StorageBackend>;
  /** Makes a token for a workspace; only its hash is kept. */
  createToken(workspace: string): Promise<string>;
  /** The workspace a token belongs to, or undefined. */
  workspaceOf(token: string): Promise<string | undefined>;
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

/** A new random token. */
export function newToken(): string {
  return `skn_${randomBytes(32).toString('base64url')}`;
}

const SERVER_MIGRATIONS = [
  `CREATE TABLE tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;`,
];

/** The embedded default: `<dir>/server.db` for tokens, `<dir>/workspaces/<name>.db` per workspace. */
export class SqliteServerStorage implements ServerStorage {
  readonly description: string;
  private readonly db: SqliteDatabase;
  private readonly backends = new Map<string, StorageBackend>();
  private readonly listeners = new Set<(workspace: string, event: ChangeEvent) => void>();

  constructor(private readonly dir: string) {
    this.dir = resolve(dir);
    mkdirSync(join(this.dir, 'workspaces'), { recursive: true });
    this.description = `sqlite:${this.dir}`;
    this.db = openSqlite(join(this.dir, 'server.db'), { synchronous: 'FULL' });
    migrate(this.db, SERVER_MIGRATIONS);
  }

  async backend(workspace: string): Promise<StorageBackend> {
    const ws = parseWorkspace(workspace);
    let b = this.backends.get(ws);
    if (!b) {
      b = openSqliteBackend(join(this.dir, 'workspaces', `${ws}.db`), { durability: 'full' });
      this.backends.set(ws, b);
    }
    return b;
  }

  async createToken(workspace: string): Promise<string> {
    const ws = parseWorkspace(workspace);
    const token = newToken();
    this.db.prepare('INSERT INTO tokens (hash, workspace, created) VALUES (?, ?, ?)').run(hashToken(token), ws, Date.now());
    return token;
  }

  async workspaceOf(token: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT workspace FROM tokens WHERE hash = ?').get(hashToken(token)) as { workspace: string } | undefined;
    return row?.workspace;
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
