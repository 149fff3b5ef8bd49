/**
 * The store: what an agent embeds. A facade that validates every input and delegates: reads
 * (`reads.ts`), the write path (`write-path.ts`), writers (`writers.ts`), relations
 * (`relations.ts`), the tiers and queues (`core.ts`), and, through ports the composition root
 * fills (`ports.ts`), cold storage, file tracking and sync. Made by `openStore`.
 */
import { EventEmitter } from 'node:events';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';
import { parseCount, parseCreateFields, parseDelta, parseOp, parseThreadId } from '../model/schema.js';
import type { CreateFields, Delta, Op, Thread, ThreadID, Visibility } from '../model/types.js';
import type { FileTracker } from '../files/file-tracker.js';
import type { ArchiveOptions, ArchiveResult } from '../lifecycle/archive.js';
import type { DiskUsage } from '../lifecycle/disk-usage.js';
import type { StoreCore } from './core.js';
import type { PersistencePolicy, ThreadKind } from './policy.js';
import type { ColdStorage, SyncHandle } from './ports.js';
import { listThreads, readHistory, readInfo, readPage, readThread, type ReadContext } from './reads.js';
import { relatedThreads, threadTree, usageReport, type RelatedThreads, type RelationsHost, type ThreadTree, type UsageReport } from './relations.js';
import { importLog } from './replica.js';
import { recoverViews } from './replay.js';
import { appendResult, type AppendOptions, type AppendResult, type MessagePage, type StoreEvents, type ThreadInfo, type ThreadSummary } from './types.js';
import type { ThreadWriter } from './writer.js';
import { acquireWriter } from './writers.js';
import { createThread, writeThread } from './write-path.js';
import { mentionWrite } from './mentions.js';
import { fork, handoff, parseForkOptions, parseHandoffOptions, spawnSubAgent, summaryThread } from './links.js';
import { searchBackend, type SearchIndexProgress, type SearchOptions, type SearchResults } from './search/search.js';

export type { AppendOptions, AppendResult, MessagePage, StoreEvents, ThreadInfo, ThreadSummary } from './types.js';

/** What the composition root plugs into a store besides its core. */
export interface StoreParts {
  /** Cold storage and file tracking, made on first use. */
  cold: () => ColdStorage;
  /** The sync engine, when the store has a remote. */
  sync?: () => SyncHandle;
}

/** See the module comment. */
export class Store extends EventEmitter<StoreEvents> {
  /** This replica's id. */
  readonly clientId: string;
  /** The store directory, when on disk. */
  readonly dir: string | undefined;
  /** The workspace root option, when given. */
  readonly workspace: string | undefined;
  readonly policies: Record<ThreadKind, PersistencePolicy>;
  private readonly core: StoreCore;
  private readonly parts: StoreParts;
  private readonly reads: ReadContext;
  private coldStorage: ColdStorage | undefined;

  /** @internal Made by `openStore` (the composition root), which builds the core and parts. */
  constructor(core: StoreCore, parts: StoreParts) {
    super();
    core.events = this;
    this.core = core;
    this.parts = parts;
    this.clientId = core.config.clientId;
    this.dir = core.config.dir;
    this.workspace = core.config.workspace;
    this.policies = core.config.policies;
    this.reads = { core, cold: () => this.cold() };
  }

  private cold(): ColdStorage {
    return (this.coldStorage ??= this.parts.cold());
  }

  /** The sync engine: `now()`, `start()`, `stop()`, `status()`. Needs `remote` in `openStore`. */
  get sync(): SyncHandle {
    const sync = this.parts.sync?.();
    if (!sync) throw new SkeinError(ErrorCode.VALIDATION, 'this store has no remote: open it with { remote: { url, token } }');
    return sync;
  }

  /** Repairs every thread whose materialized view disagrees with its op log, by replaying the log. */
  recover(): Promise<ThreadID[]> {
    return recoverViews(this.core.backend);
  }

  /** Creates a thread and persists it at once (v1); emits `thread:created`. */
  async createThread(fields: CreateFields = {}): Promise<Thread> {
    this.core.open();
    return createThread(this.core, parseCreateFields(fields), []);
  }

  /**
   * Appends one delta, or several atomically (one op each, v + n). Resolves after the ops are committed to the local database, with the
   * new head (no messages) and the ops written: its cost does not depend on the thread's length. Read the messages with `loadPage` or `getThread`.
   */
  async append(id: ThreadID, delta: Delta | Delta[], options: AppendOptions = {}): Promise<AppendResult> {
    this.core.open();
    parseThreadId(id);
    const deltas = Array.isArray(delta) ? delta : [delta];
    if (deltas.length === 0) throw new ValidationError('delta', 'nothing to append');
    if (options.expectedVersion !== undefined) parseCount(options.expectedVersion, 'expectedVersion');
    // Threads its messages name are linked in the same transaction where they can be (mentions.ts).
    const mentions = mentionWrite(this.core, id);
    const { head, ops } = await writeThread(this.core, id, deltas, options, mentions.commit);
    await mentions.after();
    return appendResult(head, ops);
  }

  /**
   * Adds one thread's ops exactly as given (same ids, versions and stamps: a skein JSONL export): a new thread from its `thread:create`
   * at v1, or the ops continuing its log at `v + 1` (VERSION_CONFLICT otherwise). Each op is validated; nothing is written when one is bad.
   */
  async importOps(ops: unknown[]): Promise<{ id: ThreadID; v: number }> {
    this.core.open();
    if (!Array.isArray(ops)) throw new ValidationError('ops', 'must be an array of ops');
    return importLog(this.core, ops.map((op, i) => parseOp(op, `ops.${i}`)));
  }

  /**
   * The thread, or null. `atVersion` gives the thread as it was at that version (time travel).
   * An archived thread is read (only) from its archive entry.
   */
  async getThread(id: ThreadID, options: { atVersion?: number } = {}): Promise<Thread | null> {
    this.core.open();
    parseThreadId(id);
    return readThread(this.reads, id, options.atVersion);
  }

  /** A thread's head without messages, or null. */
  async info(id: ThreadID): Promise<ThreadInfo | null> {
    this.core.open();
    parseThreadId(id);
    return readInfo(this.core, id);
  }

  /**
   * A window of visible messages, oldest first. `offset` counts back from the newest message (seed); `before` / `after` take a message id
   * and stay stable while messages are appended. An archived thread is refused (ARCHIVED): restore it first, or read it whole with `getThread`.
   */
  async loadPage(id: ThreadID, options: { limit?: number; offset?: number; before?: string; after?: string } = {}): Promise<MessagePage> {
    this.core.open();
    parseThreadId(id);
    return readPage(this.reads, id, options);
  }

  /**
   * Threads, newest activity first. Pass back `nextCursor` for the next page: the cursor pins the
   * order as it stood at the first page, so every thread that existed then is listed exactly once.
   * Threads kept in memory only (the `ephemeral` policy) are not listed (see the architecture notes).
   */
  async listThreads(options: { limit?: number; cursor?: string } = {}): Promise<{ threads: ThreadSummary[]; nextCursor?: string }> {
    this.core.open();
    return listThreads(this.core, options);
  }

  /** The ops of a thread with fromVersion < v <= toVersion (default: all). */
  async history(id: ThreadID, options: { fromVersion?: number; toVersion?: number } = {}): Promise<Op[]> {
    this.core.open();
    parseThreadId(id);
    return readHistory(this.reads, id, options);
  }

  /**
   * A sub-agent thread: `task` is its first message (role user), it inherits the parent's env,
   * and the parent gets a `child:link` (raising its v) in the same transaction.
   */
  async spawnSubAgentThread(parentId: ThreadID, task: string, options: { title?: string } = {}): Promise<Thread> {
    this.core.open();
    return spawnSubAgent(this.core, parseThreadId(parentId, 'parentId'), task, options);
  }

  /** A summary thread: `content` is its first message (role assistant); the source gets a `summary:link`. */
  async createSummaryThread(sourceId: ThreadID, content: string, options: { title?: string } = {}): Promise<Thread> {
    this.core.open();
    return summaryThread(this.core, parseThreadId(sourceId, 'sourceId'), content, options);
  }

  /** A new thread continuing this one, opened by a summary (given or made, see links.ts) and the goal; linked both ways. */
  async handoff(id: ThreadID, options: { goal: string; summary?: string; title?: string }): Promise<Thread> {
    this.core.open();
    parseThreadId(id);
    return handoff(this.reads, id, parseHandoffOptions(options));
  }

  /** A copy of the thread up to and including a visible message, linked both ways (`fork:link`, `forkedFrom`). */
  async fork(id: ThreadID, options: { atMessageId: string; title?: string }): Promise<Thread> {
    this.core.open();
    parseThreadId(id);
    return fork(this.reads, id, parseForkOptions(options));
  }

  /** The seed's relationship graph: the thread, its parent, its summaries and its children. */
  getRelatedThreads(id: ThreadID): Promise<RelatedThreads> {
    return relatedThreads(this.relationsHost(), id);
  }

  /** The whole tree under a thread: sub-agents and summaries, recursively (heads only). */
  getThreadTree(id: ThreadID): Promise<ThreadTree> {
    this.core.open();
    parseThreadId(id);
    return threadTree(this.relationsHost(), id);
  }

  /**
   * Token and cost usage of a thread (with `tree`: and of its sub-agents and summaries,
   * recursively), by model and, with `byDay`, by UTC day. Hidden messages count: they were paid for.
   */
  usage(id: ThreadID, options: { tree?: boolean; byDay?: boolean } = {}): Promise<UsageReport> {
    this.core.open();
    parseThreadId(id);
    return usageReport(this.relationsHost(), id, options);
  }

  private relationsHost(): RelationsHost {
    const { backend, ephemeral } = this.core;
    return {
      getThread: (id) => this.getThread(id),
      info: (id) => this.info(id),
      usageRows: async (ids, by) => [...(await backend.usage(ids, by)), ...(await ephemeral.usage(ids, by))],
    };
  }

  /** Who may see the thread on a server: a `visibility:set` op (synced, in history); `public` draws a new share id, leaving it revokes the link. */
  async setVisibility(id: ThreadID, value: Visibility): Promise<AppendResult> {
    return this.append(id, parseDelta({ type: 'visibility:set', value }, 'visibility'));
  }

  /**
   * Takes the thread's exclusive writer. Fails with THREAD_BUSY when another writer holds it (in
   * this process or another), unless it frees up within `waitMs`.
   */
  async acquireWriter(id: ThreadID, options: { waitMs?: number } = {}): Promise<ThreadWriter> {
    this.core.open();
    parseThreadId(id);
    return acquireWriter(this.reads, id, parseCount(options.waitMs ?? 0, 'waitMs'));
  }

  /** File change tracking: record before a tool writes, roll back or rewind later (see files/file-tracker.ts). */
  get files(): FileTracker {
    this.core.open();
    return this.cold().files;
  }

  /**
   * Moves threads inactive for `olderThanMs` (default 30 days) to cold storage: each gets an `archive` op and a verified, checksummed archive
   * entry before its ops leave the active tables; it still lists (with `archived`) and counts in usage. Threads held by a writer are skipped.
   */
  async archiveInactiveThreads(options: ArchiveOptions = {}): Promise<ArchiveResult> {
    this.core.open();
    return this.cold().archive(options);
  }

  /** Brings an archived thread back exactly (checksum verified first) and appends a `restore` op. */
  async restoreThread(id: ThreadID): Promise<Thread> {
    this.core.open();
    parseThreadId(id);
    await this.cold().restore(id);
    return (await this.getThread(id))!;
  }

  /** Bytes by thread and kind, file content savings, archive savings (`skein du`). */
  async diskUsage(): Promise<DiskUsage> {
    this.core.open();
    return this.cold().diskUsage();
  }

  /**
   * Full-text search over messages (text, tool names, tool inputs and outputs) and titles, by relevance then
   * recency; archived threads are found (marked). See search/parse-query.ts for the query language; bad syntax is a VALIDATION error.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResults> {
    this.core.open();
    return searchBackend(this.core.backend, query, options);
  }

  /** Rebuilds the search index from the stored messages and titles (`skein reindex`). */
  async reindex(): Promise<{ documents: number }> {
    this.core.open();
    return this.core.backend.reindex();
  }

  /** Indexes now what appends left to the next search (SQLite), letting other work run meanwhile (`skein import`). */
  async indexSearch(options: { onProgress?: (p: SearchIndexProgress) => void } = {}): Promise<void> {
    this.core.open();
    await this.core.backend.indexSearch?.(options.onProgress);
  }

  /** Disposes this store's writers, stops sync and closes the database. */
  async close(): Promise<void> {
    const core = this.core;
    if (core.closed) return;
    await this.parts.sync?.().close();
    for (const w of [...core.writers.values()]) await w.dispose().catch(() => undefined);
    await core.queues.idle();
    core.closed = true;
    core.cache.clear();
    await core.backend.close();
  }

  /** For `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
