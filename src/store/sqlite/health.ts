/**
 * Corruption checks of a store's SQLite database. After an unclean shutdown (the write-ahead log
 * is still there when the store opens: the last process did not close it) the database gets a
 * `PRAGMA quick_check` before it is used, so that a damaged file is reported, not served; `skein
 * doctor` runs the full `PRAGMA integrity_check` on demand.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SkeinError, ErrorCode } from '../../errors.js';
import { openSqlite, type SqliteDatabase } from './driver.js';

/** What a check found. */
export interface DatabaseCheck {
  ok: boolean;
  /** SQLite's descriptions of what is wrong (at most 100). */
  problems: string[];
}

/** Whether the database was left with a non-empty write-ahead log (a crash, a kill, or a process that still has it open). */
export function uncleanShutdown(file: string): boolean {
  try {
    return existsSync(file) && statSync(`${file}-wal`).size > 0;
  } catch {
    return false;
  }
}

/** Runs `quick_check` (fast: structure only) or `integrity_check` (also indexes against tables) on a database file. */
export function checkDatabase(file: string, mode: 'quick' | 'full'): DatabaseCheck {
  let db;
  try {
    db = openForCheck(file);
    const rows = db.pragma(`${mode === 'quick' ? 'quick_check' : 'integrity_check'}(100)`) as Record<string, string>[];
    const problems = rows.map((r) => Object.values(r)[0] ?? '').filter((p) => p !== 'ok');
    return { ok: problems.length === 0, problems };
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] };
  } finally {
    db?.close();
  }
}

/**
 * A read-only connection, so that a check changes nothing (no checkpoint of the log into a
 * damaged file); a WAL database without its shared-memory file cannot be opened read-only, and
 * is then opened as usual.
 */
function openForCheck(file: string): SqliteDatabase {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDatabase;
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    if (!/SQLITE_CANTOPEN|unable to open/i.test(`${(err as { code?: string }).code} ${(err as Error).message}`)) throw err;
    return openSqlite(file, { synchronous: 'FULL' });
  }
}

/** After an unclean shutdown, refuses (INTERNAL, naming `skein doctor`) a database that fails `quick_check`. */
export function assertHealthyAfterCrash(file: string): void {
  if (!uncleanShutdown(file)) return;
  const r = checkDatabase(file, 'quick');
  if (!r.ok)
    throw new SkeinError(ErrorCode.INTERNAL, `the store database ${file} is damaged (${r.problems.slice(0, 3).join('; ')}); run skein doctor, and restore it from a backup`, {
      details: { file, problems: r.problems },
    });
}
