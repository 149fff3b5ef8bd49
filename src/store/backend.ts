/**
 * The storage contract: the few things a backend (memory, SQLite, Postgres) must do. Backends
 * only store; validation, op completion, caching, tiering, writers and sync live above them.
 * Every method that writes is atomic: it changes everything it was asked to, or nothing.
 */
import type { StoredLink } from '../model/bounded-links.js';
import type { StoredMeta } from '../model/bounded-meta.js';
import type { KeySpan } from '../model/hidden.js';
import type { SearchQuery } from '../model/search.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../model/types.js';

/** The lease a writer holds; every write made under it is checked against the stored token. */
export interface Fence {
  owner: string;
  token: number;
}

/** An op after a pull cursor as `opTextsSince` gives it. */
export interface OpTextRow {
  seq: number;
  threadId: ThreadID;
  v: number;
  clientId: string;
  text(): string;
}

/** One thread's share of an atomic commit. */
export interface CommitBatch {
  threadId: ThreadID;
  /** The version the ops were made on: 0 to create the thread. A stored head elsewhere is a VERSION_CONFLICT. */
  baseVersion: number;
  /** The head after the ops. Its `messageCount` is recomputed by the backend from the rows it changes. */
  head: ThreadHead;
  /** The ops, at versions baseVersion + 1 ... head.v. */
  ops: Op[];
  /** Messages the ops added (hidden ones are stored but not listed). */
  inserts: { message: Message; hidden: boolean }[];
  /** Ranges the ops hid. */
  hides: HiddenRange[];
  /** Links the ops added (new set members), in op order: kept beside the head (model/bounded-links.ts). */
  links?: StoredLink[];
  /** Meta keys the ops set or deleted (the winners only), in op order: kept beside the head (model/bounded-meta.ts). */
  meta?: StoredMeta[];
  /** Present when a writer makes the commit: its lease must still be the thread's current one. */
  fence?: Fence;
  /** Mention links the batch's messages could not write with it: queued in the same transaction (store/mentions.ts). */
  mentions?: PendingMention[];
}

/** A mention link still to write: thread `target` is named by message `messageId` of thread `threadId`. */
export interface PendingMention {
  target: ThreadID;
  threadId: ThreadID;
  messageId: string;
}

/** A thread's place in the activity order: the global sequence number of its latest op. */
export interface ListedHead {
  head: ThreadHead;
  activity: number;
}

/** Token and cost sums. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUSD: number;
}

/** One group of a usage roll-up: `group` is a model name or a UTC day (YYYY-MM-DD), or '' for all. */
export interface UsageRow extends UsageTotals {
  group: string;
  /** Messages that carried usage. */
  messages: number;
}

/** What a lease row says. */
export interface LeaseState {
  owner: string;
  token: number;
  expires: number;
}

/** What a backend's full-text search is asked: a parsed query, filters, and the window of the ranking. */
export interface SearchRequest {
  query: SearchQuery;
  limit: number;
  offset: number;
  /** Only threads of this kind (sub-agent: has mainThreadID; summary: has originThreadID; main: neither). */
  kind?: 'main' | 'subagent' | 'summary';
  /** Only messages whose usage names this model (a title never matches). */
  model?: string;
  /** Only threads whose `env.cwd` is this directory or below it. */
  cwd?: string;
  /** Only documents (messages; a title: its latest change) from this time on (ms). */
  since?: number;
}

/**
 * One matching document: a visible message, or a thread's title (`messageId` null). Ranked by
 * relevance (`score`, higher is better; each backend has its own scale) then recency (`at`).
 */
export interface SearchHit {
  threadId: ThreadID;
  messageId: string | null;
  title: string | null;
  /** The indexed text (the snippet is cut from it above the backend). */
  text: string;
  score: number;
  at: number;
  /** The thread is archived (still found while in cold storage). */
  archived: boolean;
}

/** How far an index catch-up is: `done` of `total` entries (ops and queued rows, about one a message). */
export interface SearchIndexProgress {
  done: number;
  total: number;
}

/** The storage contract. */
export interface StorageBackend {
  /** A short name for messages and metrics (`memory`, `sqlite`, ...). */
  readonly kind: string;

  /**
   * The head as stored: bounded, whatever the thread's length (its hidden ranges beyond the
   * newest few are kept beside it, see model/hidden.ts and `hiddenRanges`; so are its links
   * beyond the first few of each list, see model/bounded-links.ts and `threadLinks`; and its meta
   * keys beyond the first few, see model/bounded-meta.ts and `threadMeta`).
   */
  getHead(id: ThreadID): Promise<ThreadHead | undefined>;
  /**
   * Commits one or more threads' ops and view changes atomically, checking versions and fences.
   * Every hidden range, link and meta key of a batch's head is kept (beside the head row: once; for
   * a stored thread, its `hides`, `links` and `meta`, a meta key replacing the one kept), and the head row stores the bounded form of the
   * head (`boundHead`).
   */
  commit(batches: CommitBatch[], now: number): Promise<void>;
  /** Ops with fromVersion < v <= toVersion, in version order. */
  ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]>;
  /** Optional: the JSON text of each op `ops` answers (as JSON.stringify gives it), without parsing the stored bodies. */
  opTexts?(id: ThreadID, fromVersion: number, toVersion: number): Promise<{ v: number; text: string }[]>;
  /** The op with this opId in the thread, if stored. */
  hasOp(id: ThreadID, opId: string): Promise<boolean>;
  /** Ops of every thread with global sequence above `afterSeq`, in sequence order (pull cursors). */
  opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]>;
  /**
   * Optional: commits one batch only if the thread's stored head is exactly `headText` (the JSON
   * the backend stored), besides the usual checks; false when it wrote nothing (then the caller
   * reads the head and commits as usual). Lets a caller that remembers the head it last wrote
   * skip reading it again, without trusting that memory.
   */
  commitIfHead?(batch: CommitBatch, headText: string, now: number): Promise<boolean>;
  /** Optional: `opsSince` as each op's place, writer and JSON text (made only when asked for), without parsing the stored bodies. */
  opTextsSince?(afterSeq: number, limit: number): Promise<OpTextRow[]>;
  /** Optional: the sequence numbers of the ops after `afterSeq`, oldest first, at most `limit` (opsSince without bodies). */
  seqsSince?(afterSeq: number, limit: number): Promise<number[]>;
  /**
   * Replaces a thread's log after `keepVersion` with `ops` and its whole view with `head` and
   * `rows`, atomically (a sync rebase). `baseVersion` is checked like in `commit`; so is `fence`.
   */
  rewrite(change: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence }, now: number): Promise<void>;

  /** Up to `limit` visible messages older than `beforeKey` (or the newest), skipping `offset`, newest first. */
  messagesBefore(id: ThreadID, beforeKey: string | undefined, limit: number, offset: number): Promise<Message[]>;
  /** Up to `limit` visible messages newer than `afterKey`, oldest first. */
  messagesAfter(id: ThreadID, afterKey: string | undefined, limit: number): Promise<Message[]>;
  /** A visible message by id (no counting: what a cursor needs). */
  findMessage(id: ThreadID, messageId: string): Promise<Message | undefined>;
  /**
   * The key of the message (visible or not) that made tool call `callId`, the newest by key, from
   * an index kept beside the message rows: how a result finds a call the head no longer remembers.
   * Optional: without it, such a result is keyed in the open turn.
   */
  callKey?(id: ThreadID, callId: string): Promise<string | undefined>;
  /**
   * The thread's hidden ranges in the order folding its log gives them: all of them, or those
   * overlapping `span` (what an append or a remote op needs when the head left some out).
   */
  hiddenRanges(id: ThreadID, span?: KeySpan): Promise<HiddenRange[]>;
  /**
   * The thread's links (sub-agents, summaries, handoffs, forks, mentions) kept beside its head,
   * each once, in the order they were added: all of them, or those of `only` that it has (what
   * an append needs when the head's list was cut and does not show a link).
   */
  threadLinks(id: ThreadID, only?: readonly StoredLink[]): Promise<StoredLink[]>;
  /**
   * The thread's meta keys kept beside its head (value, `null` once deleted, and last writer),
   * each once, in the order first set: all of them, or those of `keys` that it has.
   */
  threadMeta(id: ThreadID, keys?: readonly string[]): Promise<StoredMeta[]>;
  /** A visible message and its index (oldest = 0), by id or by index. */
  locate(id: ThreadID, at: { messageId: string } | { index: number }): Promise<{ index: number; message: Message } | undefined>;

  /**
   * Threads by activity as it stood at global sequence `snapshot`, newest first, with activity
   * below `below` when given. Threads created after the snapshot are left out, so paging with
   * one snapshot lists every thread exactly once even while threads change.
   */
  listThreads(opts: { limit: number; snapshot: number; below?: number }): Promise<ListedHead[]>;
  /** The highest global sequence number given out so far. */
  maxSeq(): Promise<number>;

  /** Usage sums over the messages of these threads (hidden ones included: they were paid for). */
  usage(ids: ThreadID[], by: 'model' | 'day' | 'all'): Promise<UsageRow[]>;

  /** Takes the lease when free or expired: returns the new fencing token, or undefined. */
  acquireLease(id: ThreadID, owner: string, ttlMs: number, now: number): Promise<number | undefined>;
  /** Extends a lease still held with this token; false when it was lost. */
  renewLease(id: ThreadID, fence: Fence, ttlMs: number, now: number): Promise<boolean>;
  /** Ends a lease still held with this token. */
  releaseLease(id: ThreadID, fence: Fence): Promise<void>;
  lease(id: ThreadID): Promise<LeaseState | undefined>;

  /** Ids of threads whose materialized view disagrees with their op log (left by a crash or tampering). */
  inconsistentThreads(): Promise<ThreadID[]>;
  /** Replaces a thread's whole view (head and message rows) with one rebuilt from its log. */
  replaceView(head: ThreadHead, rows: { message: Message; hidden: boolean }[]): Promise<void>;

  /**
   * Ids of the threads whose ops are held here (not evicted) and whose latest op is older than
   * `updatedBefore`, in id order, after `after` when given, at most `limit`: the candidates of an
   * archive run.
   */
  inactiveThreads(opts: { updatedBefore: number; limit: number; after?: ThreadID }): Promise<ThreadID[]>;
  /**
   * Evicts an archived thread: deletes its ops and message rows but keeps its head (it still
   * lists) and its usage, summed per model and day (it still counts in `usage`). The caller has
   * written and verified the thread's archive first. Refused, changing nothing, when the thread
   * is not at version `v` (the version the archive holds: VERSION_CONFLICT), is held by a live
   * lease (THREAD_BUSY), or is already evicted (VALIDATION). While evicted, commits to the thread
   * are refused and `inconsistentThreads` leaves it out.
   */
  evict(id: ThreadID, v: number, now: number): Promise<void>;
  /**
   * Puts an evicted thread's ops (versions 1 ... head v, as given) and message rows back, drops
   * its summed usage and ends the eviction. Refused, changing nothing, unless the thread is
   * evicted and the ops are exactly its versions.
   */
  reinstate(id: ThreadID, ops: Op[], rows: { message: Message; hidden: boolean }[]): Promise<void>;
  /** When the thread was evicted (ms), or undefined while its ops are held here (or it is unknown). */
  evicted(id: ThreadID): Promise<number | undefined>;

  /**
   * Full-text search over visible messages (text, tool names, tool inputs and outputs) and
   * thread titles, archived threads included. What every committed write added is found (a backend
   * may index in the write's transaction or in a batch before the search reads).
   */
  search(request: SearchRequest): Promise<SearchHit[]>;
  /**
   * Indexes now what committed writes left for a later batch, without holding up other work
   * meanwhile (a backend that indexes in the write's transaction has nothing to do and may leave
   * this out). `onProgress` is called only when there is something to index.
   */
  indexSearch?(onProgress?: (p: SearchIndexProgress) => void): Promise<void>;
  /**
   * Rebuilds the search index from the stored messages and titles; archived (evicted) threads
   * keep the entries they had. Answers the number of documents indexed.
   */
  reindex(): Promise<{ documents: number }>;

  /**
   * Queued mention links (see `CommitBatch.mentions`) with `seq` above `afterSeq`, oldest first, at
   * most `limit`. A link queued twice is kept once.
   */
  pendingMentions(afterSeq: number, limit: number): Promise<(PendingMention & { seq: number })[]>;
  /** Forgets queued mention links by `seq` (written, or never to be). */
  dropMentions(seqs: number[]): Promise<void>;

  close(): Promise<void>;
}
