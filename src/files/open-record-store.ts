/** Picks the file record store that matches a thread backend. */
import type { StorageBackend } from '../store/backend.js';
import { SqliteBackend } from '../store/sqlite/sqlite-backend.js';
import { MemoryFileRecordStore } from './memory-record-store.js';
import type { FileRecordStore } from './record-store.js';
import { SqliteFileRecordStore } from './sqlite-record-store.js';

/**
 * The SQLite backend's own database when the store is on disk (records survive restarts and
 * share its transactions' durability), else Maps (`':memory:'` stores, custom backends).
 */
export function openFileRecordStore(backend: StorageBackend): FileRecordStore {
  return backend instanceof SqliteBackend ? new SqliteFileRecordStore(backend.db) : new MemoryFileRecordStore();
}
