/** Picks the file record store for a store's database. */
import type { SqliteDatabase } from '../store/sqlite/driver.js';
import { MemoryFileRecordStore } from './memory-record-store.js';
import type { FileRecordStore } from './record-store.js';
import { SqliteFileRecordStore } from './sqlite-record-store.js';

/**
 * The store's own SQLite database when the store is on disk (records survive restarts and share
 * its durability), else Maps (`':memory:'` stores, custom backends). The composition root, which
 * opened the database, hands it in.
 */
export function openFileRecordStore(db: SqliteDatabase | undefined): FileRecordStore {
  return db ? new SqliteFileRecordStore(db) : new MemoryFileRecordStore();
}
