/**
 * Helpers for store tests: real temp directories, stores opened on them (or ':memory:'), a
 * snapshot of everything a store shows (to prove a refused call changed nothing) and the
 * SkeinError assertion shared with the contract suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenStoreOptions, type Store, type ThreadID } from '../../src/index.js';

export { rejectsWithCode } from '../../src/testing/contract-fixtures.js';
export { seededRandom } from './random.js';

/** The two kinds of local store every store test runs on. */
export const KINDS = ['sqlite', 'memory'] as const;
export type Kind = (typeof KINDS)[number];

/** A fresh temp directory, removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'skein-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store of one kind; `reopen` opens another store on the same directory (SQLite only). */
export interface Opened {
  store: Store;
  dir: string | undefined;
  open(options?: Partial<OpenStoreOptions>): Promise<Store>;
  close(): Promise<void>;
}

/** Opens a store of `kind` (SQLite in a fresh temp dir); `close` closes every store it opened and removes the dir. */
export async function openKind(kind: Kind, options: Partial<OpenStoreOptions> = {}): Promise<Opened> {
  const tmp = kind === 'sqlite' ? tempDir() : undefined;
  const opened: Store[] = [];
  const open = async (more: Partial<OpenStoreOptions> = {}) => {
    const s = await openStore({ dir: tmp?.dir ?? ':memory:', ...options, ...more });
    opened.push(s);
    return s;
  };
  const store = await open();
  return {
    store,
    dir: tmp?.dir,
    open,
    close: async () => {
      for (const s of opened) await s.close();
      tmp?.cleanup();
    },
  };
}

/** Runs `fn` with a store of `kind`, closing and cleaning up after. */
export async function withStore(kind: Kind, fn: (o: Opened) => Promise<void>, options: Partial<OpenStoreOptions> = {}): Promise<void> {
  const o = await openKind(kind, options);
  try {
    await fn(o);
  } finally {
    await o.close();
  }
}

/** Everything a store shows about these threads and its thread list. */
export async function storeState(store: Store, ids: ThreadID[]): Promise<unknown> {
  const threads = [];
  for (const id of ids) {
    const thread = await store.getThread(id);
    threads.push({ id, thread, history: thread ? (await store.history(id)).length : 0 });
  }
  const list = [];
  let cursor: string | undefined;
  do {
    const page = await store.listThreads({ limit: 100, ...(cursor !== undefined && { cursor }) });
    list.push(...page.threads);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { threads, list };
}

