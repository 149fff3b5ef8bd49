/**
 * `openStore`: turns options into a store: picks the backend (SQLite in a directory, memory for
 * ':memory:', or one given), keeps the replica's client id, repairs what a crash left half-done,
 * and connects the sync engine when a remote is given.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { parseClientId } from '../model/schema.js';
import type { StorageBackend } from './backend.js';
import { loadClientId, newClientId } from './client-id.js';
import { MemoryBackend } from './memory/memory-backend.js';
import { resolvePolicies, type PolicyOption, type ThreadKind } from './policy.js';
import { assertHealthyAfterCrash } from './sqlite/health.js';
import { openSqliteBackend } from './sqlite/sqlite-backend.js';
import { Store } from './store.js';
import { SyncEngine, type SyncOptions } from '../sync/engine.js';
import { SyncHttpClient, type RemoteOptions } from '../sync/http-client.js';
import { MemorySyncState, SqliteSyncState } from '../sync/sync-state.js';

const DEFAULT_LEASE_TTL = 30_000;

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The store directory, or `':memory:'` for a throwaway store. */
  dir: string;
  /** The directory file changes are relative to and confined to (default: thread env.cwd, else cwd). */
  workspace?: string;
  /** This replica's id in order keys (default: kept in the store directory). */
  clientId?: string;
  /** Persistence per kind of thread: a preset name or fields to override. */
  policies?: Partial<Record<ThreadKind, PolicyOption>>;
  /** Threads kept in the memory tier (default 200). */
  cacheSize?: number;
  /** Writer lease time-to-live (default 30 s); a crashed holder's lease is free after it. */
  leaseTtlMs?: number;
  /** `full` (default): a resolved write survives power loss; `normal`: survives a process crash. */
  durability?: 'full' | 'normal';
  /** The server tier: threads sync with it and reads fall through to it. */
  remote?: RemoteOptions & SyncOptions & { live?: boolean; autoStart?: boolean };
  /** Use this backend instead of SQLite in `dir` (tests, custom backends). */
  backend?: StorageBackend;
  /** Clock, for tests. */
  now?: () => number;
}

/** Opens a store: a directory (SQLite inside) or `':memory:'`. Repairs what a crash left half-done. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (!options || typeof options.dir !== 'string' || options.dir === '') throw new ValidationError('dir', 'a store directory or ":memory:" is required');
  const policies = resolvePolicies(options.policies);
  let backend = options.backend;
  let clientId = options.clientId === undefined ? undefined : parseClientId(options.clientId);
  let dir: string | undefined;
  if (!backend) {
    if (options.dir === ':memory:') backend = new MemoryBackend();
    else {
      dir = resolve(options.dir);
      mkdirSync(dir, { recursive: true });
      assertHealthyAfterCrash(join(dir, 'skein.db'));
      backend = openSqliteBackend(join(dir, 'skein.db'), { durability: options.durability ?? 'full' });
      clientId ??= loadClientId(dir, join(dir, 'skein.db')).clientId;
    }
  }
  const store = new Store(backend, {
    dir,
    clientId: clientId ?? newClientId(),
    policies,
    cacheSize: options.cacheSize ?? 200,
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL,
    now: options.now ?? Date.now,
    workspace: options.workspace === undefined ? undefined : resolve(options.workspace),
  });
  await store.recover();
  if (options.remote) {
    const { url, token, timeoutMs, live, autoStart, ...syncOptions } = options.remote;
    const client = new SyncHttpClient({ url, token, ...(timeoutMs !== undefined && { timeoutMs }) });
    const state = dir ? new SqliteSyncState(dir) : new MemorySyncState();
    store.attachSync(new SyncEngine(store, client, state, syncOptions), client, state);
    if (autoStart !== false) store.sync.start({ live: live ?? false });
  }
  return store;
}

