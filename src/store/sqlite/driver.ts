/**
 * The slice of better-sqlite3 that skein uses, declared as our own interface so that no driver
 * type leaks into the public API and a test can see at a glance what the backend relies on.
 */
import { createRequire } from 'node:module';
import { SkeinError, ErrorCode } from '../../errors.js';

/** A prepared statement. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Makes `get` answer the first column's value instead of a row object. */
  pluck(on?: boolean): SqliteStatement;
}

/** An open database connection. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { (...args: A): R; immediate(...args: A): R };
  close(): void;
  readonly inTransaction: boolean;
  /** The database file's path. */
  readonly name: string;
}

/**
 * Opens a database file (created when missing) the way skein uses every database: WAL journal,
 * the given fsync level (FULL: a committed write survives power loss), and a 10 s wait for the
 * write lock another process holds.
 */
export function openSqlite(file: string, options: { synchronous: 'FULL' | 'NORMAL' }): SqliteDatabase {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (file: string, options: { timeout: number }) => SqliteDatabase;
  const db = new Database(file, { timeout: BUSY_WAIT_MS });
  setWal(db);
  db.pragma(`synchronous = ${options.synchronous}`);
  return db;
}

const BUSY_WAIT_MS = 10_000;

/**
 * Switching a new file to WAL can answer SQLITE_BUSY at once, without waiting, while another
 * process is switching or migrating the same new file (SQLite does not wait where waiting could
 * deadlock). Two processes opening one new file is normal here (two importers, a CLI beside a
 * server), so the switch is retried for the same 10 s any other write waits.
 */
function setWal(db: SqliteDatabase): void {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/**
 * Brings a database to the newest schema. Migrations are an ordered array of SQL; the index is
 * the version, kept in `PRAGMA user_version`; each step runs in its own transaction.
 */
export function migrate(db: SqliteDatabase, migrations: readonly string[]): void {
  for (;;) {
    // The version is read inside the write transaction: two processes opening a new store at once
    // must not both run the same step.
    const done = db
      .transaction(() => {
        const v = db.pragma('user_version', { simple: true }) as number;
        if (v >= migrations.length) return true;
        db.exec(migrations[v]!);
        db.pragma(`user_version = ${v + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

/**
 * A write that failed for want of space or on an I/O error, as a SkeinError that says so (the
 * transaction was rolled back: nothing of it was written); anything else is passed on as it is.
 */
export function writeFailure(err: unknown, file: string): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'SQLITE_FULL')
    return new SkeinError(ErrorCode.INTERNAL, `the disk holding ${file} is full: nothing of this write was stored; free some space and retry`, {
      cause: err,
      details: { sqlite: code },
    });
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))
    return new SkeinError(ErrorCode.INTERNAL, `writing ${file} failed (${code}): nothing of this write was stored`, { cause: err, details: { sqlite: code } });
  return err;
}
