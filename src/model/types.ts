import type { ThreadID } from './ids.js';
import type { Hlc } from './order-key.js';
import type { ThreadLink } from './links.js';

export type { ThreadID } from './ids.js';

/** Who wrote a message; it follows from the op type that added it. */
export type Role = 'user' | 'assistant' | 'system';

/** A tool invocation requested by a message. */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** The outcome of a tool call, carried by a later message. */
export interface ToolResult {
  toolCallId: string;
  output: unknown;
  isError?: boolean;
}

/** Token and cost usage of one model call. */
export interface ResourceUsage {
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  costUSD?: number;
}

/** One message of a thread, stored as given plus `id`, `timestamp`, `role` and `key`. */
export interface Message {
  id: string;
  role: Role;
  content: string;
  timestamp: number;
  /** Order key (see order-key.ts), assigned by the store. */
  key?: string;
  toolCalls?: ToolCall[];
  toolResults?: ToolResult[];
  resourceUsage?: ResourceUsage;
  [extra: string]: unknown;
}

/** The environment a thread runs in; `cwd` is the root its file changes are confined to. */
export interface Environment {
  cwd?: string;
  [extra: string]: unknown;
}

/** Who last set a scalar (title, env, a meta key, archived): the later stamp wins a merge. */
export interface Stamp {
  hlc: Hlc;
  clientId: string;
  opId: string;
}

/** A `thread:truncate`: messages with `fromKey <= key < toKey` are hidden (kept in the log). */
export interface HiddenRange {
  fromKey: string;
  toKey: string;
  fromMessageId: string;
  opId: string;
}

/**
 * Bookkeeping that lets pure functions append and merge without the op log: the highest clock
 * stamp seen, the current turn, open tool calls, last writers of scalars and hidden ranges.
 * Every field follows from the ops; users do not need to read it.
 */
export interface ThreadClock {
  maxHlc: Hlc;
  /** Key of the current turn's opening user message, if it is visible. */
  turnKey?: string;
  /** Tool call id -> key of the message that made the call, while the call has no result. */
  openCalls: Record<string, string>;
  /** Scalar name (`title`, `env`, `archived`, `meta.<key>`) -> its last writer. */
  stamps: Record<string, Stamp>;
  hidden: HiddenRange[];
  /**
   * Only in a head as a store keeps it (hidden.ts): the ranges it leaves out of `hidden` all end
   * at or below this key. Absent from whole threads.
   */
  hiddenBefore?: string;
  /**
   * Only in a head as a store keeps it (bounded-links.ts): for each link list cut to its first
   * few entries, how many links it has whole. Absent from whole threads.
   */
  linkCounts?: { child?: number; summary?: number; links?: number };
  /**
   * Only in a head as a store keeps it (bounded-meta.ts), when it shows only the first few meta
   * keys: how many keys the thread has stamped (set or deleted) in all. Absent from whole threads.
   */
  metaCount?: number;
}

/** Who may see a thread on a server: its creator only, its workspace (the default), or anyone with its share link. */
export type Visibility = 'private' | 'workspace' | 'public';

/** A conversation between a person and an agent. */
export interface Thread {
  id: ThreadID;
  v: number;
  created: number;
  title?: string;
  /** Visible messages in key order (oldest first). */
  messages: Message[];
  mainThreadID?: ThreadID;
  originThreadID?: ThreadID;
  childThreadIDs: ThreadID[];
  summaryThreadIDs: ThreadID[];
  /** The thread this one continues (set at creation by `Store.handoff`). */
  handoffFrom?: ThreadID;
  /** The thread this one is a copy of, and the last message copied (set at creation by `Store.fork`). */
  forkedFrom?: ThreadID;
  forkedAt?: string;
  /** Thread-map links to other threads (handoffs, forks, mentions), a set in canonical order; absent when empty. */
  links?: ThreadLink[];
  env?: Environment;
  meta?: Record<string, unknown>;
  /** When it was archived (ms), while archived. */
  archived?: number;
  /** Who may see it on a server; absent means `workspace` (the default). */
  visibility?: Visibility;
  /** The random id of its share link (`/s/<shareId>`), while it is `public`. */
  shareId?: string;
  clock: ThreadClock;
}

/** A thread without its messages: what a store reads to append in O(1). */
export interface ThreadHead extends Omit<Thread, 'messages'> {
  /** Number of visible messages. */
  messageCount: number;
  /** Time of the latest op (ms). */
  updated: number;
}

/** A message as a caller hands it in: the store fills `id`, `timestamp` and `key`. */
export interface MessageInput {
  id?: string;
  content: string;
  timestamp?: number;
  toolCalls?: ToolCall[];
  toolResults?: ToolResult[];
  resourceUsage?: ResourceUsage;
  [extra: string]: unknown;
}

/** Fields a new thread may be created with. */
export interface CreateFields {
  title?: string;
  env?: Environment;
  meta?: Record<string, unknown>;
  mainThreadID?: ThreadID;
  originThreadID?: ThreadID;
  handoffFrom?: ThreadID;
  forkedFrom?: ThreadID;
  forkedAt?: string;
}

/** A change as a caller expresses it (the seed's delta). */
export type Delta =
  | { type: 'user:message' | 'assistant:message' | 'system:message'; message: MessageInput }
  | { type: 'title'; value: string }
  | { type: 'thread:truncate'; fromIndex?: number; fromMessageId?: string }
  | { type: 'meta:set'; key: string; value: unknown }
  | { type: 'env:set'; env: Environment }
  | { type: 'child:link' | 'summary:link'; threadId: ThreadID }
  | { type: 'archive' | 'restore' }
  | { type: 'visibility:set'; value: Visibility }
  | { type: 'handoff:link'; threadId: ThreadID }
  | { type: 'fork:link' | 'mention:link'; threadId: ThreadID; messageId: string };

/** The type names of deltas and ops. */
export type DeltaType = Delta['type'] | 'thread:create';

/** Fields every op carries. `v` is the thread's version after the op. */
export interface OpHeader {
  opId: string;
  threadId: ThreadID;
  v: number;
  at: number;
  clientId: string;
  hlc: Hlc;
}

/** An entry of a thread's log: a delta made complete and stamped. */
export type Op = OpHeader &
  (
    | { type: 'thread:create'; created: number; fields: CreateFields }
    | { type: 'user:message' | 'assistant:message' | 'system:message'; message: Message }
    | { type: 'title'; value: string }
    | { type: 'thread:truncate'; fromIndex: number; fromMessageId: string; fromKey: string; toKey: string }
    | { type: 'meta:set'; key: string; value: unknown }
    | { type: 'env:set'; env: Environment }
    | { type: 'child:link' | 'summary:link'; linked: ThreadID }
    | { type: 'archive' | 'restore' }
    | { type: 'visibility:set'; value: Visibility; shareId?: string }
    | { type: 'handoff:link'; linked: ThreadID }
    | { type: 'fork:link' | 'mention:link'; linked: ThreadID; messageId: string }
  );

/** Ops between two versions of one thread (the seed's compressed delta). */
export interface CompressedDelta {
  id: ThreadID;
  fromVersion: number;
  toVersion: number;
  ops: Op[];
  /**
   * The clock of the newer thread: an op that left no other trace (a repeated link, a title that
   * lost to a later one) still moved it, and no rebuilt op could carry that.
   */
  maxHlc?: Hlc;
}
