/** The public shapes the store answers with and takes (besides the model's threads and ops). */
import type { ThreadID } from '../model/ids.js';
import type { Message, Op, Thread, ThreadHead } from '../model/types.js';

/** A thread without its messages, as lists and trees show it. */
export type ThreadInfo = Omit<ThreadHead, 'clock'>;

/**
 * What a write answers (`store.append`, `writer.apply`): the new head without messages or merge
 * bookkeeping, and the ops written (completed: ids, versions, stamps). Its size does not depend on
 * the thread's length; a caller who wants the messages asks for them (`loadPage`, `getThread`).
 */
export type AppendResult = ThreadInfo & { ops: Op[] };

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

/** A write's answer: the new head as lists show it, and the ops written. */
export function appendResult(head: ThreadHead, ops: Op[]): AppendResult {
  return { ...infoOf(head), ops };
}
