/** The public shapes the store answers with and takes (besides the model's threads and ops). */
import { linkCounts, type LinkCounts } from '../model/bounded-links.js';
import type { ThreadID } from '../model/ids.js';
import type { Message, Op, Thread, ThreadHead } from '../model/types.js';

/** A thread without its messages, as `info` and trees show it: every link included. */
export type ThreadInfo = Omit<ThreadHead, 'clock'>;

/**
 * A thread as `listThreads` rows show it: its head without messages, merge bookkeeping or link
 * lists, with how many links of each kind it has instead (`info` and `getThread` list them).
 * Its size does not depend on how many messages or links the thread has.
 */
export type ThreadSummary = Omit<ThreadInfo, 'childThreadIDs' | 'summaryThreadIDs' | 'links'> & LinkCounts;

/**
 * What a write answers (`store.append`, `writer.apply`): the new head as a list row shows it
 * (counts, no messages or link lists), and the ops written (completed: ids, versions, stamps). Its
 * size does not depend on the thread's length; a caller who wants the messages or links asks for
 * them (`loadPage`, `getThread`, `info`).
 */
export type AppendResult = ThreadSummary & { ops: Op[] };

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

/** A head as lists show it: without the merge bookkeeping. */
export function infoOf(head: ThreadHead): ThreadInfo {
  const { clock: _c, ...rest } = head;
  return rest;
}

/** A head as list rows show it: counts instead of link lists (O(1) on a stored head). */
export function summaryOf(head: ThreadHead | ThreadInfo): ThreadSummary {
  const { clock: _c, childThreadIDs: _ch, summaryThreadIDs: _su, links: _l, ...rest } = head as ThreadHead;
  return { ...rest, ...linkCounts(head) };
}

/** A write's answer: the new head as list rows show it, and the ops written. */
export function appendResult(head: ThreadHead, ops: Op[]): AppendResult {
  return { ...summaryOf(head), ops };
}
