/**
 * The composition root: the one place that builds and wires a store's parts. It picks the
 * backend (SQLite in a directory, memory for ':memory:', or one given), keeps the replica's
 * client id, repairs what a crash left half-done, and plugs in what the store only knows by its
 * ports: cold storage and file records (lifecycle/, files/), the server tier for reads and the
 * sync engine (sync/). The sync server's per-workspace stores are made here too.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from './errors.js';
import { openFileRecordStore } from './files/open-record-store.js';
import { Lifecycle } from './lifecycle/lifecycle.js';
import { parseClientId } from './model/schema.js';
import type { StorageBackend } from './store/backend.js';
import { loadClientId, newClientId } from './store/client-id.js';
import { StoreCore, type StoreConfig } from './store/core.js';
import { MemoryBackend } from './store/memory/memory-backend.js';
import { drainMentions } from './store/mentions.js';
import { resolvePolicies, type PolicyOption, type ThreadKind } from './store/policy.js';
import type { RemoteTier, SyncHandle } from './store/ports.js';
import { StoreReplica } from './store/replica.js';
import { openSqlite, type SqliteDatabase } from './store/sqlite/driver.js';
import { assertHealthyAfterCrash } from './store/sqlite/health.js';
import { SqliteBackend } from './store/sqlite/sqlite-backend.js';
import { Store } from './store/store.js';
import { SyncEngine, type SyncOptions } from './sync/engine.js';
import { SyncHttpClient, type RemoteOptions } from './sync/http-client.js';
import { HttpRemoteTier } from './sync/remote-tier.js';
import { MemorySyncState, SqliteSyncState } from './sync/sync-state.js';

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

/** Builds the store over its core, with lifecycle (file records in `db` when given) and sync plugged in. */
function assemble(core: StoreCore, db: SqliteDatabase | undefined, sync?: () => SyncHandle): Store {
  const store: Store = new Store(core, {
    cold: () =>
      new Lifecycle({
        backend: core.backend,
        records: openFileRecordStore(db),
        dir: core.config.dir,
        workspace: core.config.workspace,
        now: () => core.now(),
        append: (id, delta) => store.append(id, delta),
        forget: (id) => core.cache.delete(id),
        head: async (id) => (await core.locate(id))?.head,
        history: (id) => store.history(id),
      }),
    ...(sync && { sync }),
  });
  return store;
}

/** Opens a store: a directory (SQLite inside) or `':memory:'`. Repairs what a crash left half-done. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (!options || typeof options.dir !== 'string' || options.dir === '') throw new ValidationError('dir', 'a store directory or ":memory:" is required');
  const policies = resolvePolicies(options.policies);
  let backend = options.backend;
  let db: SqliteDatabase | undefined;
  let clientId = options.clientId === undefined ? undefined : parseClientId(options.clientId);
  let dir: string | undefined;
  if (!backend) {
    if (options.dir === ':memory:') backend = new MemoryBackend();
    else {
      dir = resolve(options.dir);
      mkdirSync(dir, { recursive: true });
      assertHealthyAfterCrash(join(dir, 'skein.db'));
      db = openSqlite(join(dir, 'skein.db'), { synchronous: options.durability === 'normal' ? 'NORMAL' : 'FULL' });
      backend = new SqliteBackend(db);
      clientId ??= loadClientId(dir, join(dir, 'skein.db')).clientId;
    }
  }
  const config: StoreConfig = {
    dir,
    clientId: clientId ?? newClientId(),
    policies,
    cacheSize: options.cacheSize ?? 200,
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL,
    now: options.now ?? Date.now,
    workspace: options.workspace === undefined ? undefined : resolve(options.workspace),
  };
  let remoteTier: RemoteTier | undefined;
  let engine: SyncEngine | undefined;
  let start: (() => void) | undefined;
  let wire: ((core: StoreCore) => void) | undefined;
  if (options.remote) {
    const { url, token, timeoutMs, live, autoStart, ...syncOptions } = options.remote;
    const client = new SyncHttpClient({ url, token, ...(timeoutMs !== undefined && { timeoutMs }) });
    const state = dir ? new SqliteSyncState(dir) : new MemorySyncState();
    remoteTier = new HttpRemoteTier(client, state);
    wire = (core) => (engine = new SyncEngine(new StoreReplica(core), client, state, syncOptions));
    if (autoStart !== false) start = () => engine!.start({ live: live ?? false });
  }
  const core = new StoreCore(backend, config, remoteTier);
  const store = assemble(core, db, wire && (() => engine!));
  wire?.(core);
  await store.recover();
  // Mention links a crash or a busy thread left queued (store/mentions.ts); not waited for with a
  // remote, whose lookups of threads this replica lacks could hold the open up.
  const drained = drainMentions(core);
  if (!options.remote) await drained;
  start?.();
  return store;
}

/**
 * The sync server's store over one workspace's backend: the same validation, reads and paging as
 * the library's, no remote, no recovery run (the server's storage owns the backend).
 */
export function openWorkspaceStore(backend: StorageBackend, options: { now?: () => number } = {}): Store {
  const core = new StoreCore(backend, {
    dir: undefined,
    clientId: 'server',
    policies: resolvePolicies(),
    cacheSize: 100,
    leaseTtlMs: DEFAULT_LEASE_TTL,
    now: options.now ?? Date.now,
    workspace: undefined,
  });
  return assemble(core, undefined);
}
