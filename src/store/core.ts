/**
 * Where a store's threads live and how changes to one are ordered: the tiers (memory-only
 * threads, the local backend, the server through the read-through port), the memory tier's LRU
 * cache, the exclusive writers this store holds, and one queue per thread so that writes from
 * this process never race each other. Reads, the write path, writers and the sync replica are
 * built on it; the `Store` facade never touches a backend itself.
 */
import type { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { SkeinError, ErrorCode, VersionConflictError, notFound } from '../errors.js';
import { applyOps } from '../model/apply.js';
import { compareKeys } from '../model/order-key.js';
import type { ThreadID } from '../model/ids.js';
import { boundHidden } from '../model/hidden.js';
import type { Message, Op, Thread, ThreadClock, ThreadHead } from '../model/types.js';
import type { CommitBatch, Fence, StorageBackend } from './backend.js';
import { KeyedQueue } from './keyed-queue.js';
import { LruCache } from './lru-cache.js';
import { MemoryBackend } from './memory/memory-backend.js';
import { kindOf, type PersistencePolicy, type ThreadKind } from './policy.js';
import type { RemoteTier } from './ports.js';
import { replayView } from './replay.js';
import type { StoreEvents } from './types.js';
import type { ThreadWriter } from './writer.js';

/** How a store is set up (made by `openStore` from its options). */
export interface StoreConfig {
  dir: string | undefined;
  clientId: string;
  policies: Record<ThreadKind, PersistencePolicy>;
  cacheSize: number;
  leaseTtlMs: number;
  now: () => number;
  workspace: string | undefined;
}

/** A thread found in a tier: the backend that holds it and its head there. */
export interface Located {
  backend: StorageBackend;
  head: ThreadHead;
}

/** See the module comment. */
export class StoreCore {
  /** Memory-only threads (the `ephemeral` policy). */
  readonly ephemeral = new MemoryBackend();
  /** Ids of the threads in `ephemeral` (they live in this process only, so the set is exact). */
  readonly ephemeralIds = new Set<ThreadID>();
  readonly cache: LruCache<ThreadID, Thread>;
  readonly writers = new Map<ThreadID, ThreadWriter>();
  readonly queues = new KeyedQueue<ThreadID>();
  /** Owner name of this store's leases. */
  readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  /** The store's event emitter (bound by the facade). */
  events!: EventEmitter<StoreEvents>;
  closed = false;
  /** The clock of a cached thread as its stored head has it (bounded), when this store wrote that version. */
  private readonly storedClocks = new WeakMap<Thread, ThreadClock>();
  /** Read-through fetches in flight, so that concurrent reads of one thread fetch it once. */
  private readonly fetching = new Map<ThreadID, Promise<void>>();

  constructor(
    readonly backend: StorageBackend,
    readonly config: StoreConfig,
    private readonly remote?: RemoteTier,
  ) {
    this.cache = new LruCache(config.cacheSize, config.now);
  }

  now(): number {
    return this.config.now();
  }

  /** Refuses work once the store is closed. */
  open(): void {
    if (this.closed) throw new SkeinError(ErrorCode.CLOSED, 'the store is closed');
  }

  /** The thread's tier and head: memory-only threads first, then the local backend, then the server (read-through). */
  async locate(id: ThreadID): Promise<Located | undefined> {
    const eph = await this.ephemeral.getHead(id);
    if (eph) return { backend: this.ephemeral, head: eph };
    let head = await this.backend.getHead(id);
    if (!head && this.remote) {
      await this.fetchRemote(this.remote, id);
      // Read again whatever the fetch said: a pull running meanwhile may have stored it first.
      head = await this.backend.getHead(id);
    }
    return head && { backend: this.backend, head };
  }

  /** Like `locate`, NOT_FOUND when no tier has the thread. */
  async mustLocate(id: ThreadID): Promise<Located> {
    const found = await this.locate(id);
    if (!found) throw notFound(`thread ${id}`);
    return found;
  }

  /**
   * Copies a thread this replica lacks from the server. It commits directly, not through the
   * thread's queue: the write path calls it while holding that queue, and the commit's version
   * check (base 0) already keeps a concurrent copy (a pull) from storing it twice.
   */
  private fetchRemote(remote: RemoteTier, id: ThreadID): Promise<void> {
    let p = this.fetching.get(id);
    if (!p) {
      p = (async () => {
        const ops = await remote.fetchThread(id);
        if (!ops || ops.length === 0) return;
        const { head, rows } = replayView(id, ops, this.now());
        try {
          await this.backend.commit([{ threadId: id, baseVersion: 0, head, ops, inserts: rows, hides: [] }], this.now());
        } catch (err) {
          if (err instanceof VersionConflictError) return; // stored meanwhile by a pull
          throw err;
        }
        remote.stored(id, head.v);
        this.events.emit('thread:updated', { id, v: head.v, ops });
      })().finally(() => this.fetching.delete(id));
      this.fetching.set(id, p);
    }
    return p;
  }

  /**
   * A thread's head and backend from the memory tier, when it holds the thread. After a write
   * through this store it is the head as stored (bounded: model/hidden.ts), so that the next
   * append does not go over every hidden range of the whole thread.
   */
  cachedHead(id: ThreadID): Located | undefined {
    const t = this.cache.get(id);
    if (!t) return undefined;
    const { messages, ...core } = t;
    const clock = this.storedClocks.get(t) ?? core.clock;
    return { backend: this.ephemeralIds.has(id) ? this.ephemeral : this.backend, head: { ...core, clock, messageCount: messages.length, updated: 0 } };
  }

  /** Keeps a thread in the memory tier for its kind's TTL. */
  remember(thread: Thread): void {
    this.cache.set(thread.id, thread, this.config.policies[kindOf(thread)].memoryTtlMs);
  }

  /**
   * Runs a change to a thread that did not come from a caller's delta (sync): through this store's
   * writer when it holds one (its lease and queue), else in the thread's queue. `fn` commits and
   * returns the new whole thread when it has it.
   */
  changeThread(id: ThreadID, fn: (fence: Fence | undefined, current: Thread | undefined) => Promise<Thread | undefined>): Promise<Thread | undefined> {
    const writer = this.writers.get(id);
    if (writer) return writer.runExternal(async (fence, current) => (await fn(fence, current))!);
    return this.queues.run(id, () => fn(undefined, undefined));
  }

  /**
   * Updates the memory tier and emits `thread:updated` after a commit. `made`: the batch this
   * store's write path built on this head and committed (new, complete ops, none already held),
   * whose head and rows the memory tier then takes as they are; absent for ops from elsewhere.
   */
  afterWrite(id: ThreadID, before: ThreadHead, ops: Op[], made?: CommitBatch): void {
    const cached = this.cache.get(id);
    if (cached && cached.v === before.v) {
      const next = (made && extendWith(cached, made)) || applyOps(cached, ops);
      // The cached thread's lists are whole: their counts are their lengths. (A batch built on a
      // head whose meta keys were cut has them cut in its clock too: the cached clock is kept.)
      if (made && made.head.clock.metaCount === undefined) {
        const { clock } = boundHidden(made.head);
        this.storedClocks.set(next, clock.linkCounts === undefined ? clock : withoutLinkCounts(clock));
      }
      this.remember(next);
    } else this.cache.delete(id);
    if (this.events.listenerCount('thread:updated') > 0) this.events.emit('thread:updated', { id, v: before.v + ops.length, ops });
  }
}

/** A clock without its link counts. */
function withoutLinkCounts(clock: ThreadClock): ThreadClock {
  const { linkCounts: _n, ...rest } = clock;
  return rest;
}

/** True when `added` (in order) all sort after `messages`' last key and after one another. */
function sortsAfter(messages: readonly Message[], added: readonly Message[]): boolean {
  let last = messages.at(-1)?.key;
  for (const m of added) {
    if (last !== undefined && compareKeys(m.key!, last) <= 0) return false;
    last = m.key;
  }
  return true;
}

/**
 * The cached thread extended by a batch this store's write path built on it, without folding its
 * ops again: when the batch hides nothing and every message it adds is visible and sorts after
 * the last one (an append), the batch's head is the new core and its messages are pushed onto the
 * cached array. The new thread shares (and extends) that array: the memory tier never hands its
 * objects out (reads answer clones), so the superseded one is not seen again. Undefined otherwise.
 */
function extendWith(cached: Thread, made: CommitBatch): Thread | undefined {
  if (made.hides.length > 0 || made.links?.length || made.meta?.length || made.head.clock.metaCount !== undefined || made.head.v !== cached.v + made.ops.length) return undefined;
  const added: Message[] = [];
  for (const r of made.inserts) {
    if (r.hidden) return undefined;
    added.push(r.message);
  }
  const { messages } = cached;
  if (!sortsAfter(messages, added)) return undefined;
  for (const m of added) messages.push(m);
  const { messageCount: _c, updated: _u, ...core } = made.head;
  // The batch hides and links nothing, so the ranges and links are the cached ones, kept whole (the
  // stored head may hold a few).
  const { hiddenBefore: _b, linkCounts: _n, ...clock } = core.clock;
  const { childThreadIDs, summaryThreadIDs, links } = cached;
  const out: Thread = { ...core, childThreadIDs, summaryThreadIDs, clock: { ...clock, hidden: cached.clock.hidden }, messages };
  if (links) out.links = links;
  else delete out.links;
  return out;
}
