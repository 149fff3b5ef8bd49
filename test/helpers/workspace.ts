/**
 * Temp directories for file tracking and lifecycle tests: a store directory and a workspace,
 * both removed by `dispose`, plus small readers of what a workspace holds.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openStore, type OpenStoreOptions, type Store } from '../../src/index.js';

/** A store in a temp directory, with a workspace beside it. */
export interface TempStore {
  store: Store;
  dir: string;
  ws: string;
  /** Absolute path of a workspace file. */
  at(rel: string): string;
  /** Reopens the store (after `store.close()`), same directory. */
  reopen(options?: Partial<OpenStoreOptions>): Promise<Store>;
  dispose(): Promise<void>;
}

/** Makes a temp dir `skein-<label>-*` (removed by the caller). */
export function tempDir(label = 'test'): string {
  return mkdtempSync(join(tmpdir(), `skein-${label}-`));
}

/** Opens a store on disk with a workspace, both in fresh temp directories. */
export async function tempStore(options: Partial<OpenStoreOptions> = {}): Promise<TempStore> {
  const dir = tempDir('store');
  const ws = tempDir('ws');
  const open = (o: Partial<OpenStoreOptions> = {}) => openStore({ dir, workspace: ws, durability: 'normal', ...options, ...o });
  const t: TempStore = {
    store: await open(),
    dir,
    ws,
    at: (rel) => join(ws, rel),
    reopen: async (o) => (t.store = await open(o)),
    dispose: async () => {
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(ws, { recursive: true, force: true });
    },
  };
  return t;
}

/** The bytes of a file, or null when it does not exist. */
export function bytesOf(path: string): Buffer | null {
  return existsSync(path) ? readFileSync(path) : null;
}

/** Every file under a directory (relative, sorted), to prove nothing else appeared. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}
