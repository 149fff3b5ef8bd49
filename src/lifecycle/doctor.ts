/**
 * `skein doctor`: checks a store directory without opening it as a store (which a damaged
 * database could not be): `PRAGMA integrity_check` of the store database and of the sync state,
 * and every archive entry's checksum and content. It reads only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThreadID } from '../model/types.js';
import { checkDatabase, uncleanShutdown, type DatabaseCheck } from '../store/sqlite/health.js';
import { decodeEntry } from './archive-format.js';

/** What `doctorStore` found. */
export interface DoctorReport {
  ok: boolean;
  /** The store database (`skein.db`), and whether it was left by an unclean shutdown. */
  database: DatabaseCheck & { file: string; uncleanShutdown: boolean };
  /** The sync state (`sync.db`), when there is one. */
  sync?: DatabaseCheck & { file: string };
  archive: { checked: number; corrupted: { id: string; problem: string }[] };
}

/** Checks the store in `dir` (see the module comment). */
export function doctorStore(dir: string): DoctorReport {
  const dbFile = join(dir, 'skein.db');
  const unclean = uncleanShutdown(dbFile);
  const database = { file: dbFile, uncleanShutdown: unclean, ...checkDatabase(dbFile, 'full') };
  const syncFile = join(dir, 'sync.db');
  const sync = existsSync(syncFile) ? { file: syncFile, ...checkDatabase(syncFile, 'full') } : undefined;
  const archiveDir = join(dir, 'archive');
  const corrupted: { id: string; problem: string }[] = [];
  let checked = 0;
  const names = existsSync(archiveDir) ? readdirSync(archiveDir).filter((n) => n.endsWith('.skz') && !n.startsWith('.')) : [];
  for (const name of names.sort()) {
    const id = name.slice(0, -4) as ThreadID;
    checked++;
    try {
      decodeEntry(id, readFileSync(join(archiveDir, name)));
    } catch (err) {
      corrupted.push({ id, problem: (err as Error).message });
    }
  }
  return { ok: database.ok && (sync?.ok ?? true) && corrupted.length === 0, database, ...(sync && { sync }), archive: { checked, corrupted } };
}
