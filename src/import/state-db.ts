/**
 * The importers' own bookkeeping, kept beside the store in `<store dir>/imports.db` (a private
 * in-memory database for a `:memory:` store): which session maps to which thread, how far each
 * source file was read, the identity of every record already imported, the verbatim source
 * records (compressed, once) and images by hash. The store itself only ever sees ops.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ThreadID } from '../model/types.js';
import { migrate, openSqlite, type SqliteDatabase, type SqliteStatement } from '../store/sqlite/driver.js';

const MIGRATIONS = [
  `CREATE TABLE sessions (key TEXT PRIMARY KEY, thread_id TEXT NOT NULL, v INTEGER NOT NULL, state TEXT NOT NULL DEFAULT '{}');
   CREATE INDEX sessions_thread ON sessions (thread_id);
   CREATE TABLE pending (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
   CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL, offset INTEGER NOT NULL,
     line INTEGER NOT NULL, head TEXT NOT NULL, keys TEXT NOT NULL DEFAULT '[]');
   CREATE TABLE records (thread_id TEXT NOT NULL, rkey TEXT NOT NULL, mid TEXT, live INTEGER NOT NULL DEFAULT 1,
     raw INTEGER NOT NULL DEFAULT 1, val TEXT, PRIMARY KEY (thread_id, rkey));
   CREATE INDEX records_mid ON records (thread_id, mid);
   CREATE TABLE uuids (agent TEXT NOT NULL, uuid TEXT NOT NULL, thread_id TEXT NOT NULL, PRIMARY KEY (agent, uuid));
   CREATE TABLE raw (seq INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL, file TEXT NOT NULL,
     first_line INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
   CREATE INDEX raw_thread ON raw (thread_id, seq);
   CREATE TABLE blobs (hash TEXT PRIMARY KEY, mime TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL);`,
  `CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, expires INTEGER NOT NULL);`,
  // Asked once per source record: a table clustered on its key answers from one B-tree, not an index and the table.
  `CREATE TABLE uuids2 (agent TEXT NOT NULL, uuid TEXT NOT NULL, thread_id TEXT NOT NULL, PRIMARY KEY (agent, uuid)) WITHOUT ROWID;
   INSERT INTO uuids2 (agent, uuid, thread_id) SELECT agent, uuid, thread_id FROM uuids;
   DROP TABLE uuids;
   ALTER TABLE uuids2 RENAME TO uuids;
   -- A third B-tree written per record, read only when a crash is repaired (a scan of one thread's records there).
   DROP INDEX records_mid;`,
];

/** Who holds a lease (see {@link StateDb.takeLease}). */
export interface LeaseHolder {
  owner: string;
  host: string;
  pid: number;
  expires: number;
}

/** Read progress of one source file. */
export interface FileProgress {
  size: number;
  mtime: number;
  /** Byte offset just after the last complete line taken. */
  offset: number;
  /** Lines taken so far (1-based number of the next line is `line + 1`). */
  line: number;
  /** sha256 of the first bytes read (up to 4 KiB): tells a rewritten file from a grown one. */
  head: string;
  /** Session keys the file fed. */
  keys: string[];
}

/** One record identity as kept: the message it became, if any. */
export interface RecordRow {
  rkey: string;
  mid: string | null;
  live: number;
  raw: number;
  val: string | null;
  seq: number;
}

/** A chunk of verbatim source records. */
export interface RawChunk {
  file: string;
  firstLine: number;
  lines: string[];
}

/** Rows per multi-row INSERT (well under SQLite's limit of bound parameters). */
const ROWS = 100;

const dbs = new WeakMap<object, StateDb>();

/** See the module comment. One per store (shared by every import on it in this process). */
export class StateDb {
  private readonly db: SqliteDatabase;
  private readonly st: Record<string, SqliteStatement> = {};

  private constructor(file: string) {
    this.db = openSqlite(file, { synchronous: 'NORMAL' });
    this.db.pragma('cache_size = -16000');
    migrate(this.db, MIGRATIONS);
  }

  private users = 0;

  /**
   * The state database of a store (its directory's `imports.db`, or memory), held until
   * {@link release}. A store directory's file is closed when its last user releases it; a
   * `:memory:` store's stays with the store object (it would be lost otherwise).
   */
  static acquire(store: { dir: string | undefined }): StateDb {
    let db = dbs.get(store);
    if (!db) {
      db = new StateDb(store.dir ? join(store.dir, 'imports.db') : ':memory:');
      dbs.set(store, db);
    }
    db.users++;
    return db;
  }

  /** Gives back what {@link acquire} gave. */
  static release(store: { dir: string | undefined }): void {
    const db = dbs.get(store);
    if (!db || --db.users > 0 || !store.dir) return;
    db.db.close();
    dbs.delete(store);
  }

  private stmt(sql: string): SqliteStatement {
    return (this.st[sql] ??= this.db.prepare(sql));
  }

  // Asked once per source record: a plucked statement answers the value without building a row object.
  private ownerStmt: SqliteStatement | undefined;

  /** Runs `fn` in one transaction. */
  tx<R>(fn: () => R): R {
    return this.db.transaction(fn)();
  }

  /**
   * Takes the lease `name` for `owner` until `expires` (ms since the epoch) when it is free,
   * expired, already the owner's, or held by `stale` (a holder known to be dead); answers the
   * holder that keeps it otherwise. One write transaction, so two takers never both win.
   */
  takeLease(name: string, holder: LeaseHolder, now: number, stale?: string): LeaseHolder | undefined {
    return this.db
      .transaction(() => {
        const cur = this.stmt('SELECT owner, host, pid, expires FROM leases WHERE name = ?').get(name) as LeaseHolder | undefined;
        if (cur && cur.owner !== holder.owner && cur.expires > now && cur.owner !== stale) return cur;
        this.stmt(
          'INSERT INTO leases (name, owner, host, pid, expires) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires = excluded.expires',
        ).run(name, holder.owner, holder.host, holder.pid, holder.expires);
        return undefined;
      })
      .immediate();
  }

  /** Extends a lease the owner still holds; false when it was lost (expired and taken over). */
  renewLease(name: string, owner: string, expires: number): boolean {
    return this.stmt('UPDATE leases SET expires = ? WHERE name = ? AND owner = ?').run(expires, name, owner).changes === 1;
  }

  releaseLease(name: string, owner: string): void {
    this.stmt('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  session(key: string): { threadId: ThreadID; v: number; state: Record<string, unknown> } | undefined {
    const r = this.stmt('SELECT thread_id, v, state FROM sessions WHERE key = ?').get(key) as { thread_id: ThreadID; v: number; state: string } | undefined;
    return r && { threadId: r.thread_id, v: r.v, state: JSON.parse(r.state) as Record<string, unknown> };
  }

  sessionByThread(threadId: string): string | undefined {
    return (this.stmt('SELECT key FROM sessions WHERE thread_id = ?').get(threadId) as { key: string } | undefined)?.key;
  }

  putSession(key: string, threadId: ThreadID, v: number, state: Record<string, unknown>): void {
    this.stmt('INSERT INTO sessions (key, thread_id, v, state) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET thread_id = excluded.thread_id, v = excluded.v, state = excluded.state').run(
      key,
      threadId,
      v,
      JSON.stringify(state),
    );
  }

  /** Marks a thread creation as under way (a crash leaves the mark for the next run to resolve). */
  setPending(key: string, on: boolean): void {
    if (on) this.stmt('INSERT OR REPLACE INTO pending (key, at) VALUES (?, ?)').run(key, Date.now());
    else this.stmt('DELETE FROM pending WHERE key = ?').run(key);
  }

  pendingKeys(): string[] {
    return (this.stmt('SELECT key FROM pending').all() as { key: string }[]).map((r) => r.key);
  }

  file(path: string): FileProgress | undefined {
    const r = this.stmt('SELECT size, mtime, offset, line, head, keys FROM files WHERE path = ?').get(path) as (Omit<FileProgress, 'keys'> & { keys: string }) | undefined;
    return r && { ...r, keys: JSON.parse(r.keys) as string[] };
  }

  putFile(path: string, p: FileProgress): void {
    this.stmt('INSERT OR REPLACE INTO files (path, size, mtime, offset, line, head, keys) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      path,
      p.size,
      p.mtime,
      p.offset,
      p.line,
      p.head,
      JSON.stringify(p.keys),
    );
  }

  record(threadId: string, rkey: string): RecordRow | undefined {
    return this.stmt('SELECT rkey, mid, live, raw, val, rowid AS seq FROM records WHERE thread_id = ? AND rkey = ?').get(threadId, rkey) as RecordRow | undefined;
  }

  recordByMid(threadId: string, mid: string): RecordRow | undefined {
    return this.stmt('SELECT rkey, mid, live, raw, val, rowid AS seq FROM records WHERE thread_id = ? AND mid = ? ORDER BY rowid LIMIT 1').get(threadId, mid) as
      | RecordRow
      | undefined;
  }

  putRecord(threadId: string, rkey: string, mid: string | null, raw: boolean, val?: string): void {
    this.stmt('INSERT INTO records (thread_id, rkey, mid, raw, val) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET raw = max(raw, excluded.raw), val = coalesce(excluded.val, val)').run(
      threadId,
      rkey,
      mid,
      raw ? 1 : 0,
      val ?? null,
    );
  }

  /**
   * Many {@link putRecord}s: rows go in statements of {@link ROWS} rows each (one call into
   * SQLite per statement, not per row), the rest one by one.
   */
  putRecords(threadId: string, rows: readonly { rkey: string; mid: string | null; raw: boolean; val?: string }[]): void {
    let i = 0;
    if (rows.length >= ROWS) {
      const st = this.stmt(
        `INSERT INTO records (thread_id, rkey, mid, raw, val) VALUES ${'(?, ?, ?, ?, ?), '.repeat(ROWS).slice(0, -2)} ON CONFLICT DO UPDATE SET raw = max(raw, excluded.raw), val = coalesce(excluded.val, val)`,
      );
      const params: unknown[] = new Array(ROWS * 5);
      for (; i + ROWS <= rows.length; i += ROWS) {
        for (let j = 0; j < ROWS; j++) {
          const r = rows[i + j]!;
          params[j * 5] = threadId;
          params[j * 5 + 1] = r.rkey;
          params[j * 5 + 2] = r.mid;
          params[j * 5 + 3] = r.raw ? 1 : 0;
          params[j * 5 + 4] = r.val ?? null;
        }
        st.run(params);
      }
    }
    for (; i < rows.length; i++) this.putRecord(threadId, rows[i]!.rkey, rows[i]!.mid, rows[i]!.raw, rows[i]!.val);
  }

  /** The first live record after `seq` (in import order) that became a message. */
  firstLiveMessageAfter(threadId: string, seq: number): RecordRow | undefined {
    return this.stmt('SELECT rkey, mid, live, raw, val, rowid AS seq FROM records WHERE thread_id = ? AND rowid > ? AND live = 1 AND mid IS NOT NULL ORDER BY rowid LIMIT 1').get(
      threadId,
      seq,
    ) as RecordRow | undefined;
  }

  /** Hides every record of the thread imported after `seq` (an abandoned branch). */
  hideAfter(threadId: string, seq: number): void {
    this.stmt('UPDATE records SET live = 0 WHERE thread_id = ? AND rowid > ?').run(threadId, seq);
  }

  /** The thread that holds a uuid of an agent, if any. */
  uuidOwner(agent: string, uuid: string): string | undefined {
    this.ownerStmt ??= this.db.prepare('SELECT thread_id FROM uuids WHERE agent = ? AND uuid = ?').pluck(true);
    return this.ownerStmt.get(agent, uuid) as string | undefined;
  }

  /** The threads that hold any of `uuids` of an agent (one query for many). */
  uuidOwners(agent: string, uuids: readonly string[]): Map<string, string> {
    const rows = this.stmt('SELECT uuid, thread_id FROM uuids WHERE agent = ? AND uuid IN (SELECT value FROM json_each(?))').all(agent, JSON.stringify(uuids)) as { uuid: string; thread_id: string }[];
    return new Map(rows.map((r) => [r.uuid, r.thread_id]));
  }

  putUuid(agent: string, uuid: string, threadId: string): void {
    this.stmt('INSERT OR IGNORE INTO uuids (agent, uuid, thread_id) VALUES (?, ?, ?)').run(agent, uuid, threadId);
  }

  /** Many {@link putUuid}s, {@link ROWS} to a statement. */
  putUuids(threadId: string, uuids: readonly (readonly [agent: string, uuid: string])[]): void {
    let i = 0;
    if (uuids.length >= ROWS) {
      const st = this.stmt(`INSERT OR IGNORE INTO uuids (agent, uuid, thread_id) VALUES ${'(?, ?, ?), '.repeat(ROWS).slice(0, -2)}`);
      const params: unknown[] = new Array(ROWS * 3);
      for (; i + ROWS <= uuids.length; i += ROWS) {
        for (let j = 0; j < ROWS; j++) {
          params[j * 3] = uuids[i + j]![0];
          params[j * 3 + 1] = uuids[i + j]![1];
          params[j * 3 + 2] = threadId;
        }
        st.run(params);
      }
    }
    for (; i < uuids.length; i++) this.putUuid(uuids[i]![0], uuids[i]![1], threadId);
  }

  putRaw(threadId: string, chunk: RawChunk): void {
    if (chunk.lines.length === 0) return;
    // Records are single lines (JSON never holds a raw newline), so newline-joined text is exact.
    const data = gzipSync(Buffer.from(chunk.lines.join('\n')), { level: 1 });
    this.stmt('INSERT INTO raw (thread_id, file, first_line, count, data) VALUES (?, ?, ?, ?, ?)').run(threadId, chunk.file, chunk.firstLine, chunk.lines.length, data);
  }

  /** The verbatim records kept for a thread, in import order. */
  *rawRecords(threadId: string): Generator<{ file: string; line: number; text: string }> {
    const rows = this.stmt('SELECT file, first_line, data FROM raw WHERE thread_id = ? ORDER BY seq').all(threadId) as { file: string; first_line: number; data: Buffer }[];
    for (const r of rows) {
      const lines = gunzipSync(r.data).toString('utf8').split('\n');
      for (let i = 0; i < lines.length; i++) yield { file: r.file, line: r.first_line + i, text: lines[i]! };
    }
  }

  /** Stores an image once by content hash; answers the hash. */
  putBlob(bytes: Buffer, mime: string): string {
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.stmt('INSERT OR IGNORE INTO blobs (hash, mime, size, data) VALUES (?, ?, ?, ?)').run(hash, mime, bytes.length, gzipSync(bytes, { level: 1 }));
    return hash;
  }

  blob(hash: string): { mime: string; bytes: Buffer } | undefined {
    const r = this.stmt('SELECT mime, data FROM blobs WHERE hash = ?').get(hash) as { mime: string; data: Buffer } | undefined;
    return r && { mime: r.mime, bytes: gunzipSync(r.data) };
  }
}
