/**
 * The store: what an agent embeds. It validates every input, completes deltas into ops through
 * the pure core, commits them to a backend (one transaction per write), keeps a bounded memory
 * tier in front, hands out exclusive writers, and emits events. Backends only store.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { SkeinError, ErrorCode, ValidationError, VersionConflictError, notFound } from '../errors.js';
import { applyOp, applyOps, createOp, foldOps } from '../model/apply.js';
import { replayView } from './replay.js';
import { relatedThreads, threadTree, usageReport, type RelatedThreads, type RelationsHost, type ThreadTree, type UsageReport } from './relations.js';
import { newThreadId, type ThreadID } from '../model/ids.js';
import { parseCount, parseCreateFields, parseThreadId } from '../model/schema.js';
import type { CreateFields, Delta, Message, Op, Thread, ThreadHead } from '../model/types.js';
import type { CommitBatch, Fence, StorageBackend } from './backend.js';
import { backendLookup, batchFromOps, buildBatch } from './batch.js';
import { LruCache } from './lru-cache.js';
import { MemoryBackend } from './memory/memory-backend.js';
import { kindOf, type PersistencePolicy, type ThreadKind } from './policy.js';
import { ThreadWriter, type WriterHost } from './writer.js';
import type { FileTracker } from '../files/file-tracker.js';
import type { ArchiveOptions, ArchiveResult } from '../lifecycle/archive.js';
import type { DiskUsage } from '../lifecycle/disk-usage.js';
import { Lifecycle } from '../lifecycle/lifecycle.js';
import type { SyncEngine } from '../sync/engine.js';
import type { SyncHttpClient } from '../sync/http-client.js';
import type { SyncStateStore } from '../sync/sync-state.js';
import { searchBackend, type SearchOptions, type SearchResults } from '../search/search.js';

/** A thread without its messages, as lists and trees show it. */
export type ThreadInfo = Omit<ThreadHead, 'clock'>;

/** One page of a thread's visible messages, oldest first. */
export interface MessagePage {
  id: ThreadID;
  v: number;
  title?: string;
  created: number;
  messages: Message[];
  totalMessages: number;
  /** Older messages exist before this window. */
  hasMore: boolean;
  /** Newer messages exist after this window. */
  hasNewer: boolean;
}

/** Events a store emits. */
export interface StoreEvents {
  'thread:created': [thread: Thread];
  'thread:updated': [event: { id: ThreadID; v: number; ops: Op[] }];
}

/** Write options. */
export interface AppendOptions {
  /** Refuse the write (VERSION_CONFLICT, nothing written) unless the thread is at this version. */
  expectedVersion?: number;
}

const MAX_PAGE = 1000;

function info(head: ThreadHead): ThreadInfo {
  const { clock: _c, ...rest } = head;
  return rest;
}

function encodeCursor(c: { s: number; b: number }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(cursor: unknown): { s: number; b: number } {
  try {
    if (typeof cursor !== 'string') throw new Error('not a string');
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { s: unknown; b: unknown };
    if (Number.isSafeInteger(c.s) && Number.isSafeInteger(c.b)) return c as { s: number; b: number };
  } catch {
    // reported below
  }
  throw new ValidationError('cursor', 'not a cursor returned by listThreads');
}

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

/** See the module comment. Made by `openStore`. */
export class Store extends EventEmitter<StoreEvents> {
  /** This replica's id. */
  readonly clientId: string;
  /** The store directory, when on disk. */
  readonly dir: string | undefined;
  /** The workspace root option, when given. */
  readonly workspace: string | undefined;
  readonly policies: Record<ThreadKind, PersistencePolicy>;
  /** Memory-only threads (the `ephemeral` policy). */
  private readonly ephemeral = new MemoryBackend();
  /** Ids of the threads in `ephemeral` (they live in this process only, so the set is exact). */
  private readonly ephemeralIds = new Set<ThreadID>();
  private readonly cache: LruCache<ThreadID, Thread>;
  private readonly writers = new Map<ThreadID, ThreadWriter>();
  /** Per-thread queue, so that writes from this process never race each other. */
  private readonly queues = new Map<ThreadID, Promise<unknown>>();
  /** Owner name of this store's leases. */
  private readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private closed = false;
  /** File tracking and cold storage, made on first use. */
  private lifecycleParts?: Lifecycle;
  private engine: SyncEngine | undefined;
  private remoteTier: { client: SyncHttpClient; state: SyncStateStore; inFlight: Map<ThreadID, Promise<boolean>> } | undefined;

  constructor(
    readonly backend: StorageBackend,
    private readonly config: StoreConfig,
  ) {
    super();
    this.clientId = config.clientId;
    this.dir = config.dir;
    this.workspace = config.workspace;
    this.policies = config.policies;
    this.cache = new LruCache(config.cacheSize, config.now);
  }

  private now(): number {
    return this.config.now();
  }

  private open(): void {
    if (this.closed) throw new SkeinError(ErrorCode.CLOSED, 'the store is closed');
  }

  /** The backend that holds a thread: memory-only threads first, then the local one. */
  private async locateThread(id: ThreadID): Promise<{ backend: StorageBackend; head: ThreadHead } | undefined> {
    const eph = await this.ephemeral.getHead(id);
    if (eph) return { backend: this.ephemeral, head: eph };
    let head = await this.backend.getHead(id);
    if (!head && this.remoteTier) {
      await this.fetchRemote(id);
      // Read again whatever the fetch said: a pull running meanwhile may have stored it first.
      head = await this.backend.getHead(id);
    }
    return head && { backend: this.backend, head };
  }

  /** Read-through to the server tier: copies a thread this replica lacks; false when the server lacks it too or is unreachable. */
  private fetchRemote(id: ThreadID): Promise<boolean> {
    const tier = this.remoteTier!;
    let p = tier.inFlight.get(id);
    if (!p) {
      p = (async () => {
        try {
          const r = await tier.client.threadOps(id, 0);
          if (r.ops.length === 0) return false;
          await this.importThread(r.ops);
          tier.state.set(id, { ...tier.state.get(id), syncedV: r.toVersion, remoteV: r.toVersion });
          return true;
        } catch (err) {
          // Offline or unknown there: a local miss. A refused token is worth telling.
          if (err instanceof SkeinError && (err.code === ErrorCode.UNAUTHORIZED || err.code === ErrorCode.FORBIDDEN)) throw err;
          return false;
        }
      })().finally(() => tier.inFlight.delete(id));
      tier.inFlight.set(id, p);
    }
    return p;
  }

  /** @internal Connects the sync engine (done by `openStore` when a remote is given). */
  attachSync(engine: SyncEngine, client: SyncHttpClient, state: SyncStateStore): void {
    this.engine = engine;
    this.remoteTier = { client, state, inFlight: new Map() };
  }

  /** The sync engine: `now()`, `start()`, `stop()`, `status()`. Needs `remote` in `openStore`. */
  get sync(): SyncEngine {
    if (!this.engine) throw new SkeinError(ErrorCode.VALIDATION, 'this store has no remote: open it with { remote: { url, token } }');
    return this.engine;
  }

  private async mustLocate(id: ThreadID): Promise<{ backend: StorageBackend; head: ThreadHead }> {
    const found = await this.locateThread(id);
    if (!found) throw notFound(`thread ${id}`);
    return found;
  }

  private serialize<T>(id: ThreadID, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  /**
   * Runs a change to a thread that did not come from a caller's delta (sync): through this store's
   * writer when it holds one (its lease and queue), else in the thread's queue. `fn` commits and
   * returns the new whole thread when it has it.
   */
  private changeThread(id: ThreadID, fn: (fence: Fence | undefined, current: Thread | undefined) => Promise<Thread | undefined>): Promise<Thread | undefined> {
    const writer = this.writers.get(id);
    if (writer) return writer.runExternal(async (fence, current) => (await fn(fence, current))!);
    return this.serialize(id, () => fn(undefined, undefined));
  }

  /**
   * Sync: appends complete ops (from the server) to a thread that has no local changes after
   * them. Refused with VERSION_CONFLICT when the thread is no longer at `ops[0].v - 1`.
   */
  async applyRemoteOps(id: ThreadID, ops: Op[]): Promise<void> {
    this.open();
    await this.changeThread(id, async (fence, current) => {
      const { backend, head } = await this.mustLocate(id);
      const expected = ops[0]!.v - 1;
      if (head.v !== expected) throw new VersionConflictError(id, expected, head.v);
      if (ops.some((op, i) => op.v !== expected + 1 + i || op.threadId !== id))
        throw new ValidationError('ops', `must be consecutive versions of ${id} from ${expected + 1}`);
      const now = this.now();
      await backend.commit([batchFromOps(head, ops, now, fence)], now);
      let thread = current;
      if (thread) thread = applyOps(thread, ops);
      await this.afterWrite(id, head, ops);
      return thread;
    });
  }

  /**
   * Sync: replaces the thread's log after `keepVersion` with `ops` (a rebase: the server's ops,
   * then the local ones not yet acknowledged), if the thread is still at `expectVersion`.
   */
  async rebaseLog(id: ThreadID, expectVersion: number, keepVersion: number, ops: Op[]): Promise<void> {
    this.open();
    await this.changeThread(id, async (fence) => {
      const { backend, head } = await this.mustLocate(id);
      if (head.v !== expectVersion) throw new VersionConflictError(id, expectVersion, head.v);
      const all = [...(await backend.ops(id, 0, keepVersion)), ...ops];
      const view = replayView(id, all, this.now());
      await backend.rewrite({ threadId: id, baseVersion: expectVersion, keepVersion, ops, head: view.head, rows: view.rows, ...(fence && { fence }) }, this.now());
      this.cache.delete(id);
      this.emit('thread:updated', { id, v: view.head.v, ops });
      return foldOps(id, all);
    });
  }

  /** Sync / tiered reads: stores a thread that arrived whole from the server (its log from v1). */
  async importThread(ops: Op[]): Promise<void> {
    this.open();
    const first = ops[0];
    if (!first || first.type !== 'thread:create' || first.v !== 1) throw new ValidationError('ops', 'a thread starts with thread:create at v1');
    const id = first.threadId;
    await this.serialize(id, async () => {
      const { head, rows } = replayView(id, ops, this.now());
      await this.backend.commit([{ threadId: id, baseVersion: 0, head, ops, inserts: rows, hides: [] }], this.now());
      this.emit('thread:updated', { id, v: head.v, ops });
    });
  }

  /** Repairs every thread whose materialized view disagrees with its op log, by replaying the log. */
  async recover(): Promise<ThreadID[]> {
    const broken = await this.backend.inconsistentThreads();
    for (const id of broken) {
      const ops = await this.backend.ops(id, 0, Number.MAX_SAFE_INTEGER);
      const old = await this.backend.getHead(id);
      const { head, rows } = replayView(id, ops, old?.updated);
      await this.backend.replaceView(head, rows);
    }
    return broken;
  }

  /** Creates a thread and persists it at once (v1); emits `thread:created`. */
  async createThread(fields: CreateFields = {}): Promise<Thread> {
    this.open();
    const f = parseCreateFields(fields);
    const thread = await this.createWith(f, []);
    return thread;
  }

  /** Creates a thread whose first ops are `deltas`, linking it from its parent/origin atomically. */
  private async createWith(fields: CreateFields, deltas: Delta[], link?: { parent: ThreadID; type: 'child:link' | 'summary:link' }): Promise<Thread> {
    const id = newThreadId();
    const now = this.now();
    const kind = kindOf(fields);
    const policy = this.policies[kind];
    const backend = policy.local ? this.backend : this.ephemeral;
    if (!policy.local) this.ephemeralIds.add(id);
    const op0 = createOp(id, fields, { clientId: this.clientId, now });
    const { messages: _m, ...core0 } = applyOp(foldOps(id, []), op0);
    const head0: ThreadHead = { ...core0, messageCount: 0, updated: now };
    const { batch, ops } = await buildBatch(head0, deltas, { clientId: this.clientId, now, lookup: backendLookup(backend, head0) });
    const created = { ...batch, baseVersion: 0, ops: [op0, ...ops] };
    if (!link) {
      await backend.commit([created], now);
    } else {
      await this.writeThread(link.parent, [{ type: link.type, threadId: id }], {}, async (parentBatch, parentBackend) => {
        if (parentBackend === backend) await backend.commit([created, parentBatch], now);
        else {
          await backend.commit([created], now);
          await parentBackend.commit([parentBatch], now);
        }
      });
    }
    const thread = foldOps(id, created.ops);
    this.cache.set(id, thread, policy.memoryTtlMs);
    this.emit('thread:created', structuredClone(thread));
    return thread;
  }

  /**
   * The shared write path: completes `deltas` on the thread's current head and commits them,
   * through this store's writer for the thread when it holds one. `commit` lets a caller commit
   * the batch together with another thread's.
   */
  private async writeThread(
    id: ThreadID,
    deltas: Delta[],
    opts: AppendOptions,
    commit?: (batch: CommitBatch, backend: StorageBackend) => Promise<void>,
  ): Promise<Thread | undefined> {
    const writer = this.writers.get(id);
    if (writer) return writer.write(deltas, opts.expectedVersion, commit);
    return this.serialize(id, async () => {
      for (let attempt = 0; ; attempt++) {
        // The memory tier's copy saves a read; the commit's version check catches a stale one.
        const cached = attempt === 0 ? this.cachedHead(id) : undefined;
        const { backend, head } = cached ?? (await this.mustLocate(id));
        if (opts.expectedVersion !== undefined && head.v !== opts.expectedVersion) {
          if (cached) continue;
          throw new VersionConflictError(id, opts.expectedVersion, head.v);
        }
        const now = this.now();
        const { batch, ops } = await buildBatch(head, deltas, { clientId: this.clientId, now, lookup: backendLookup(backend, head) });
        try {
          if (commit) await commit(batch, backend);
          else await backend.commit([batch], now);
        } catch (err) {
          // Another process wrote in between: try again on the new head (with an expected version,
          // only when the head came from memory: the fresh one decides).
          if (err instanceof VersionConflictError && (cached || (opts.expectedVersion === undefined && attempt < 5))) {
            this.cache.delete(id);
            continue;
          }
          throw err;
        }
        return this.afterWrite(id, head, ops);
      }
    });
  }

  /** A thread's head and backend from the memory tier, when it holds the thread. */
  private cachedHead(id: ThreadID): { backend: StorageBackend; head: ThreadHead } | undefined {
    const t = this.cache.get(id);
    if (!t) return undefined;
    const { messages, ...core } = t;
    return { backend: this.ephemeralIds.has(id) ? this.ephemeral : this.backend, head: { ...core, messageCount: messages.length, updated: 0 } };
  }

  /** Updates the memory tier and emits `thread:updated` after a commit. */
  private async afterWrite(id: ThreadID, before: ThreadHead, ops: Op[]): Promise<Thread | undefined> {
    const cached = this.cache.get(id);
    let thread: Thread | undefined;
    if (cached && cached.v === before.v) {
      thread = applyOps(cached, ops);
      this.cache.set(id, thread, this.policies[kindOf(before)].memoryTtlMs);
    } else this.cache.delete(id);
    const v = before.v + ops.length;
    this.emit('thread:updated', { id, v, ops });
    return thread;
  }

  /**
   * Appends one delta, or several atomically (one op each, v + n). Resolves after the ops are
   * committed to the local database, with the updated thread.
   */
  async append(id: ThreadID, delta: Delta | Delta[], options: AppendOptions = {}): Promise<Thread> {
    this.open();
    parseThreadId(id);
    const deltas = Array.isArray(delta) ? delta : [delta];
    if (deltas.length === 0) throw new ValidationError('delta', 'nothing to append');
    if (options.expectedVersion !== undefined) parseCount(options.expectedVersion, 'expectedVersion');
    const thread = await this.writeThread(id, deltas, options);
    // A copy of the cached thread's top level, so that a caller changing it cannot change the cache.
    return thread ? { ...thread, messages: thread.messages.slice() } : (await this.getThread(id))!;
  }

  /**
   * The thread, or null. `atVersion` gives the thread as it was at that version (time travel).
   * An archived thread is read (only) from its archive entry.
   */
  async getThread(id: ThreadID, options: { atVersion?: number } = {}): Promise<Thread | null> {
    this.open();
    parseThreadId(id);
    const found = await this.locateThread(id);
    if (!found) return null;
    const { backend, head } = found;
    if (backend === this.backend && (await this.lifecycle().isEvicted(head))) {
      // Archived: read (only) from the archive entry.
      const at = parseCount(options.atVersion ?? head.v, 'atVersion', { max: head.v });
      return foldOps(id, (await this.lifecycle().archived(id)).ops.slice(0, at));
    }
    if (options.atVersion !== undefined) {
      const at = parseCount(options.atVersion, 'atVersion', { max: head.v });
      return foldOps(id, await backend.ops(id, 0, at));
    }
    const cached = this.cache.get(id);
    if (cached && cached.v === head.v) return structuredClone(cached);
    const messages = await backend.messagesAfter(id, undefined, Number.MAX_SAFE_INTEGER);
    const { messageCount: _c, updated: _u, ...core } = head;
    const thread: Thread = { ...core, messages };
    this.cache.set(id, thread, this.policies[kindOf(head)].memoryTtlMs);
    return structuredClone(thread);
  }

  /** A thread's head without messages, or null. */
  async info(id: ThreadID): Promise<ThreadInfo | null> {
    this.open();
    parseThreadId(id);
    const found = await this.locateThread(id);
    return found ? info(found.head) : null;
  }

  /**
   * A window of visible messages, oldest first. `offset` counts back from the newest message
   * (seed); `before` / `after` take a message id and stay stable while messages are appended.
   * An archived thread is refused (VALIDATION): restore it first, or read it whole with `getThread`.
   */
  async loadPage(id: ThreadID, options: { limit?: number; offset?: number; before?: string; after?: string } = {}): Promise<MessagePage> {
    this.open();
    parseThreadId(id);
    const limit = parseCount(options.limit ?? 50, 'limit', { min: 1, max: MAX_PAGE });
    const given = [options.offset, options.before, options.after].filter((x) => x !== undefined).length;
    if (given > 1) throw new ValidationError('options', 'give at most one of offset, before and after');
    const { backend, head } = await this.mustLocate(id);
    if (backend === this.backend && (await this.lifecycle().isEvicted(head)))
      throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is archived: restore it to page through it (skein restore ${id}), or read it whole with getThread`, {
        details: { threadId: id, archived: true },
      });
    const total = head.messageCount;
    let messages: Message[];
    let hasMore: boolean;
    let hasNewer: boolean;
    if (options.before !== undefined || options.after !== undefined) {
      const ref = (options.before ?? options.after)!;
      if (typeof ref !== 'string' || ref === '') throw new ValidationError(options.before !== undefined ? 'before' : 'after', 'must be a message id');
      const at = await backend.findMessage(id, ref);
      if (!at) throw notFound(`message ${ref} in thread ${id}`);
      // One row more than asked says whether the window has a neighbour, without counting.
      if (options.before !== undefined) {
        messages = await backend.messagesBefore(id, at.key, limit + 1, 0);
        hasMore = messages.length > limit;
        messages = messages.slice(0, limit).reverse();
        hasNewer = true;
      } else {
        messages = await backend.messagesAfter(id, at.key, limit + 1);
        hasNewer = messages.length > limit;
        messages = messages.slice(0, limit);
        hasMore = true;
      }
    } else {
      const offset = parseCount(options.offset ?? 0, 'offset');
      messages = (await backend.messagesBefore(id, undefined, limit, offset)).reverse();
      hasMore = offset + messages.length < total;
      hasNewer = offset > 0;
    }
    return { id, v: head.v, ...(head.title !== undefined && { title: head.title }), created: head.created, messages, totalMessages: total, hasMore, hasNewer };
  }

  /**
   * Threads, newest activity first. Pass back `nextCursor` for the next page: the cursor pins the
   * order as it stood at the first page, so every thread that existed then is listed exactly once.
   */
  async listThreads(options: { limit?: number; cursor?: string } = {}): Promise<{ threads: ThreadInfo[]; nextCursor?: string }> {
    this.open();
    const limit = parseCount(options.limit ?? 50, 'limit', { min: 1, max: MAX_PAGE });
    const c = options.cursor === undefined ? { s: await this.backend.maxSeq(), b: Number.MAX_SAFE_INTEGER } : decodeCursor(options.cursor);
    const rows = await this.backend.listThreads({ limit: limit + 1, snapshot: c.s, below: c.b });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const out: { threads: ThreadInfo[]; nextCursor?: string } = { threads: page.map((r) => info(r.head)) };
    if (rows.length > limit && last) out.nextCursor = encodeCursor({ s: c.s, b: last.activity });
    return out;
  }

  /** The ops of a thread with fromVersion < v <= toVersion (default: all). */
  async history(id: ThreadID, options: { fromVersion?: number; toVersion?: number } = {}): Promise<Op[]> {
    this.open();
    parseThreadId(id);
    const { backend, head } = await this.mustLocate(id);
    const from = parseCount(options.fromVersion ?? 0, 'fromVersion');
    const to = parseCount(options.toVersion ?? head.v, 'toVersion');
    if (from > to) throw new ValidationError('fromVersion', `must not be above toVersion (${to})`);
    if (backend === this.backend && (await this.lifecycle().isEvicted(head)))
      return (await this.lifecycle().archived(id)).ops.filter((op) => op.v > from && op.v <= to);
    return backend.ops(id, from, to);
  }

  /**
   * A sub-agent thread: `task` is its first message (role user), it inherits the parent's env,
   * and the parent gets a `child:link` (raising its v) in the same transaction.
   */
  async spawnSubAgentThread(parentId: ThreadID, task: string, options: { title?: string } = {}): Promise<Thread> {
    this.open();
    parseThreadId(parentId, 'parentId');
    const parent = (await this.mustLocate(parentId)).head;
    const fields = parseCreateFields({ mainThreadID: parentId, ...(parent.env && { env: parent.env }), ...(options.title !== undefined && { title: options.title }) });
    return this.createWith(fields, [{ type: 'user:message', message: { content: task } }], { parent: parentId, type: 'child:link' });
  }

  /** A summary thread: `content` is its first message (role assistant); the source gets a `summary:link`. */
  async createSummaryThread(sourceId: ThreadID, content: string, options: { title?: string } = {}): Promise<Thread> {
    this.open();
    parseThreadId(sourceId, 'sourceId');
    await this.mustLocate(sourceId);
    const fields = parseCreateFields({ originThreadID: sourceId, ...(options.title !== undefined && { title: options.title }) });
    return this.createWith(fields, [{ type: 'assistant:message', message: { content } }], { parent: sourceId, type: 'summary:link' });
  }

  /** The seed's relationship graph: the thread, its parent, its summaries and its children. */
  getRelatedThreads(id: ThreadID): Promise<RelatedThreads> {
    return relatedThreads(this.relationsHost(), id);
  }

  /** The whole tree under a thread: sub-agents and summaries, recursively (heads only). */
  getThreadTree(id: ThreadID): Promise<ThreadTree> {
    this.open();
    parseThreadId(id);
    return threadTree(this.relationsHost(), id);
  }

  /**
   * Token and cost usage of a thread (with `tree`: and of its sub-agents and summaries,
   * recursively), by model and, with `byDay`, by UTC day. Hidden messages count: they were paid for.
   */
  usage(id: ThreadID, options: { tree?: boolean; byDay?: boolean } = {}): Promise<UsageReport> {
    this.open();
    parseThreadId(id);
    return usageReport(this.relationsHost(), id, options);
  }

  private relationsHost(): RelationsHost {
    return {
      getThread: (id) => this.getThread(id),
      info: (id) => this.info(id),
      usageRows: async (ids, by) => [...(await this.backend.usage(ids, by)), ...(await this.ephemeral.usage(ids, by))],
    };
  }

  /**
   * Takes the thread's exclusive writer. Fails with THREAD_BUSY when another writer holds it (in
   * this process or another), unless it frees up within `waitMs`.
   */
  async acquireWriter(id: ThreadID, options: { waitMs?: number } = {}): Promise<ThreadWriter> {
    this.open();
    parseThreadId(id);
    const waitMs = parseCount(options.waitMs ?? 0, 'waitMs');
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { backend, head } = await this.mustLocate(id);
      if (backend === this.backend && (await this.lifecycle().isEvicted(head)))
        throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is archived: restore it before writing (skein restore ${id})`, {
          details: { threadId: id, archived: true },
        });
      if (!this.writers.has(id)) {
        const token = await backend.acquireLease(id, this.owner, this.config.leaseTtlMs, this.now());
        if (token !== undefined) {
          const thread = await this.getThread(id);
          const host: WriterHost = {
            backend,
            clientId: this.clientId,
            leaseTtlMs: this.config.leaseTtlMs,
            now: () => this.now(),
            afterWrite: (before, ops) => this.afterWrite(id, before, ops),
            released: (w) => {
              if (this.writers.get(id) === w) this.writers.delete(id);
            },
          };
          const writer = new ThreadWriter(host, thread!, { owner: this.owner, token });
          this.writers.set(id, writer);
          return writer;
        }
      }
      if (Date.now() >= deadline) {
        const lease = await backend.lease(id);
        const mine = this.writers.has(id) ? ' by this store' : lease ? ` until ${new Date(lease.expires).toISOString()}` : '';
        throw new SkeinError(ErrorCode.THREAD_BUSY, `thread ${id} is held by another writer${mine}`, { details: { threadId: id } });
      }
      await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
    }
  }

  private lifecycle(): Lifecycle {
    return (this.lifecycleParts ??= new Lifecycle({
      backend: this.backend,
      dir: this.dir,
      workspace: this.workspace,
      now: () => this.now(),
      append: (id, delta) => this.append(id, delta),
      forget: (id) => this.cache.delete(id),
      head: async (id) => (await this.locateThread(id))?.head,
      history: (id) => this.history(id),
    }));
  }

  /** File change tracking: record before a tool writes, roll back or rewind later (see files/file-tracker.ts). */
  get files(): FileTracker {
    this.open();
    return this.lifecycle().files;
  }

  /**
   * Moves threads inactive for `olderThanMs` (default 30 days) to cold storage: each gets an
   * `archive` op and a verified, checksummed archive entry before its ops leave the active tables;
   * it still lists (with `archived`) and counts in usage. Threads held by a writer are skipped.
   */
  async archiveInactiveThreads(options: ArchiveOptions = {}): Promise<ArchiveResult> {
    this.open();
    return this.lifecycle().archive(options);
  }

  /** Brings an archived thread back exactly (checksum verified first) and appends a `restore` op. */
  async restoreThread(id: ThreadID): Promise<Thread> {
    this.open();
    parseThreadId(id);
    await this.lifecycle().restore(id);
    return (await this.getThread(id))!;
  }

  /** Bytes by thread and kind, file content savings, archive savings (`skein du`). */
  async diskUsage(): Promise<DiskUsage> {
    this.open();
    return this.lifecycle().diskUsage();
  }

  /**
   * Full-text search over messages (text, tool names, tool inputs and outputs) and titles, by
   * relevance then recency; archived threads are found (marked). See search/parse-query.ts for
   * the query language; bad syntax is a VALIDATION error.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResults> {
    this.open();
    return searchBackend(this.backend, query, options);
  }

  /** Rebuilds the search index from the stored messages and titles (`skein reindex`). */
  async reindex(): Promise<{ documents: number }> {
    this.open();
    return this.backend.reindex();
  }

  /** Disposes this store's writers and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.engine?.close();
    for (const w of [...this.writers.values()]) await w.dispose().catch(() => undefined);
    await Promise.allSettled([...this.queues.values()]);
    this.closed = true;
    this.cache.clear();
    await this.backend.close();
  }

  /** For `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
