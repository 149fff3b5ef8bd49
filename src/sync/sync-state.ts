/**
 * What the sync engine remembers between runs: per thread, the version both sides last agreed on
 * (`syncedV`: the outbox is every local op above it), the highest version the server announced
 * (`remoteV`), backoff and poison; and the pull cursor. Kept in `<store>/sync.db` (SQLite, WAL),
 * in memory for a throwaway store.
 */
import { join } from 'node:path';
import type { ThreadID } from '../model/ids.js';
import { migrate, openSqlite, type SqliteDatabase, type SqliteStatement } from '../store/sqlite/driver.js';

/** One thread's sync record. */
export interface ThreadSyncState {
  syncedV: number;
  remoteV: number;
  attempts: number;
  nextAt: number;
  poisoned?: { code: string; message: string };
}

/** Storage of sync records. */
export interface SyncStateStore {
  get(id: ThreadID): ThreadSyncState;
  set(id: ThreadID, state: ThreadSyncState): void;
  all(): Map<ThreadID, ThreadSyncState>;
  /** Threads the server announced versions of that this replica has not applied yet. */
  behind(): Map<ThreadID, ThreadSyncState>;
  cursor(): number;
  setCursor(cursor: number): void;
  close(): void;
}

const EMPTY: ThreadSyncState = { syncedV: 0, remoteV: 0, attempts: 0, nextAt: 0 };

/** In memory (for ':memory:' stores). */
export class MemorySyncState implements SyncStateStore {
  private readonly map = new Map<ThreadID, ThreadSyncState>();
  private pullCursor = 0;
  get(id: ThreadID): ThreadSyncState {
    return { ...(this.map.get(id) ?? EMPTY) };
  }
  set(id: ThreadID, state: ThreadSyncState): void {
    this.map.set(id, { ...state });
  }
  all(): Map<ThreadID, ThreadSyncState> {
    return new Map(this.map);
  }
  behind(): Map<ThreadID, ThreadSyncState> {
    return new Map([...this.map].filter(([, s]) => s.remoteV > s.syncedV));
  }
  cursor(): number {
    return this.pullCursor;
  }
  setCursor(cursor: number): void {
    this.pullCursor = cursor;
  }
  close(): void {}
}

const MIGRATIONS = [
  `CREATE TABLE threads (id TEXT PRIMARY KEY, synced_v INTEGER NOT NULL, remote_v INTEGER NOT NULL, attempts INTEGER NOT NULL,
     next_at INTEGER NOT NULL, poisoned_code TEXT, poisoned_message TEXT) WITHOUT ROWID;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
];

type Row = { id: ThreadID; synced_v: number; remote_v: number; attempts: number; next_at: number; poisoned_code: string | null; poisoned_message: string | null };

function fromRow(r: Row): ThreadSyncState {
  return {
    syncedV: r.synced_v,
    remoteV: r.remote_v,
    attempts: r.attempts,
    nextAt: r.next_at,
    ...(r.poisoned_code !== null && { poisoned: { code: r.poisoned_code, message: r.poisoned_message ?? '' } }),
  };
}

/** In `<dir>/sync.db`. */
export class SqliteSyncState implements SyncStateStore {
  private readonly db: SqliteDatabase;
  private readonly s: Record<'get' | 'set' | 'all' | 'behind' | 'cursor' | 'setCursor', SqliteStatement>;

  constructor(dir: string) {
    // NORMAL, not FULL: this state only saves work. Every write here follows a durable commit in
    // skein.db, so a power loss can only roll it back, and a rolled-back syncedV or cursor means
    // ops pushed again (acknowledged by opId, not applied twice) or pulled again (skipped).
    this.db = openSqlite(join(dir, 'sync.db'), { synchronous: 'NORMAL' });
    migrate(this.db, MIGRATIONS);
    this.s = {
      get: this.db.prepare('SELECT * FROM threads WHERE id = ?'),
      set: this.db.prepare(
        `INSERT INTO threads (id, synced_v, remote_v, attempts, next_at, poisoned_code, poisoned_message) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET synced_v = excluded.synced_v, remote_v = excluded.remote_v, attempts = excluded.attempts,
           next_at = excluded.next_at, poisoned_code = excluded.poisoned_code, poisoned_message = excluded.poisoned_message`,
      ),
      all: this.db.prepare('SELECT * FROM threads'),
      behind: this.db.prepare('SELECT * FROM threads WHERE remote_v > synced_v'),
      cursor: this.db.prepare("SELECT value FROM meta WHERE key = 'cursor'"),
      setCursor: this.db.prepare("INSERT INTO meta (key, value) VALUES ('cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    };
  }

  get(id: ThreadID): ThreadSyncState {
    const r = this.s.get.get(id) as Row | undefined;
    return r ? fromRow(r) : { ...EMPTY };
  }

  set(id: ThreadID, s: ThreadSyncState): void {
    this.s.set.run(id, s.syncedV, s.remoteV, s.attempts, s.nextAt, s.poisoned?.code ?? null, s.poisoned?.message ?? null);
  }

  all(): Map<ThreadID, ThreadSyncState> {
    return new Map((this.s.all.all() as Row[]).map((r) => [r.id, fromRow(r)]));
  }

  behind(): Map<ThreadID, ThreadSyncState> {
    return new Map((this.s.behind.all() as Row[]).map((r) => [r.id, fromRow(r)]));
  }

  cursor(): number {
    const r = this.s.cursor.get() as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }

  setCursor(cursor: number): void {
    this.s.setCursor.run(String(cursor));
  }

  close(): void {
    this.db.close();
  }
}
