/**
 * Picks the server's storage from the command line's words: `--db postgres://...` for
 * PostgreSQL (in `--schema`, default `skein`), else embedded SQLite under `--data DIR`.
 */
import { ValidationError } from '../errors.js';
import { SqliteServerStorage, type ServerStorage } from './server-storage.js';
import { openPostgresServerStorage } from './postgres-storage.js';

/** Where the server keeps its data. */
export interface StorageChoice {
  data?: string;
  db?: string;
  /** PostgreSQL schema (default `skein`); ignored for SQLite. */
  schema?: string;
}

/** Opens the chosen storage (migrating it). */
export async function openServerStorage(choice: StorageChoice): Promise<ServerStorage> {
  if (choice.db !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(choice.db)) throw new ValidationError('--db', 'must be a postgres:// connection string');
    return openPostgresServerStorage({ connectionString: choice.db, ...(choice.schema !== undefined && { schema: choice.schema }) });
  }
  if (!choice.data) throw new ValidationError('--data', 'a data directory is required');
  return new SqliteServerStorage(choice.data);
}
