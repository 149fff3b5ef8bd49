/**
 * Small helpers shared by backends: how an op is split into stored columns and back, and the
 * usage columns of a message. Pure; no I/O.
 */
import { SkeinError, ErrorCode, VersionConflictError, ThreadBusyError, archivedError } from '../errors.js';
import type { StoredLink } from '../model/bounded-links.js';
import type { StoredMeta } from '../model/bounded-meta.js';
import type { Message, Op, ThreadID } from '../model/types.js';
import { isMessageOp } from '../model/op-kinds.js';
import type { Fence, LeaseState, UsageRow, UsageTotals } from './backend.js';

/** A row of a `thread_links` table: the link's kind, the other thread, and its message ('' when none). */
export type LinkRow = { rel: StoredLink['rel']; other: ThreadID; msg: string };

/** The link a `thread_links` row holds. */
export function linkOfRow(x: LinkRow): StoredLink {
  return { rel: x.rel, threadId: x.other, ...(x.msg !== '' && { messageId: x.msg }) };
}

/** A row of a `thread_meta` table: the key, its value and its writer as JSON. */
export type MetaRow = { key: string; value: string; stamp: string };

/** The meta key a `thread_meta` row holds. */
export function metaOfRow(x: MetaRow): StoredMeta {
  return { key: x.key, value: JSON.parse(x.value) as unknown, stamp: JSON.parse(x.stamp) as StoredMeta['stamp'] };
}

/** The op without the fields that have columns of their own, as stored. */
export function opBody(op: Op): string {
  const { threadId: _t, v: _v, opId: _o, ...rest } = op;
  return JSON.stringify(rest);
}

/**
 * An op's JSON from its columns, exactly as `JSON.stringify(opFromRow(...))` gives it (the body
 * was written by JSON.stringify, and the three columns follow its keys), without parsing it.
 */
export function opTextFromRow(threadId: ThreadID, v: number, opId: string, body: string): string {
  const tail = `"threadId":${JSON.stringify(threadId)},"v":${v},"opId":${JSON.stringify(opId)}}`;
  return body === '{}' ? `{${tail}` : `${body.slice(0, -1)},${tail}`;
}

/** A stored body's first keys: `at` and the writing device (as ops are written); anything else is parsed. */
const BODY_HEAD = /^\{"at":-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?,"clientId":("(?:[^"\\]|\\.)*")/;

/** The `clientId` of a stored op body, read from its head when it has the usual shape (no parse of the rest). */
export function clientIdOfBody(body: string): string {
  const m = BODY_HEAD.exec(body);
  return m ? (JSON.parse(m[1]!) as string) : (JSON.parse(body) as { clientId: string }).clientId;
}

/** An op rebuilt from its columns. */
export function opFromRow(threadId: ThreadID, v: number, opId: string, body: string): Op {
  return { ...(JSON.parse(body) as object), threadId, v, opId } as Op;
}

/** The message an op carries, if any. */
export function messageOf(op: Op): Message | undefined {
  return isMessageOp(op) ? op.message : undefined;
}

/** A zero usage row for `group`. */
export function emptyUsage(group: string): UsageRow {
  return { group, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0, messages: 0 };
}

/** Adds `u` into `into` (in place; message counts too when both carry them) and returns it: the one usage sum. */
export function addUsage<T extends UsageTotals>(into: T, u: UsageTotals | UsageRow): T {
  into.inputTokens += u.inputTokens;
  into.outputTokens += u.outputTokens;
  into.cacheReadTokens += u.cacheReadTokens;
  into.cacheWriteTokens += u.cacheWriteTokens;
  into.costUSD += u.costUSD;
  if ('messages' in into && 'messages' in u) (into as unknown as UsageRow).messages += u.messages;
  return into;
}

const DAY_MS = 86_400_000;
/** The last day formatted, by its first millisecond (appends fall on the same day). */
let lastDay = { start: NaN, text: '' };

/** The UTC day (YYYY-MM-DD) of a timestamp. */
function utcDay(ms: number): string {
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  if (start !== lastDay.start) lastDay = { start, text: new Date(ms).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** The usage columns of a message: model, UTC day and token/cost numbers (null when absent). */
export function usageColumns(m: Message): [string | null, string, number | null, number | null, number | null, number | null, number | null] {
  const u = m.resourceUsage;
  const day = utcDay(m.timestamp);
  return [
    u?.model ?? null,
    day,
    u?.inputTokens ?? null,
    u?.outputTokens ?? null,
    u?.cacheReadTokens ?? null,
    u?.cacheWriteTokens ?? null,
    u?.costUSD ?? null,
  ];
}

/** Throws unless the stored version is the one the ops were made on. */
export function checkVersion(threadId: ThreadID, stored: number | undefined, base: number): void {
  const current = stored ?? 0;
  if (current === base) return;
  if (base === 0) throw new SkeinError(ErrorCode.VERSION_CONFLICT, `thread ${threadId} already exists`, { details: { threadId, current } });
  if (stored === undefined) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${threadId} not found`);
  throw new VersionConflictError(threadId, base, current);
}

/**
 * Throws unless the write may go ahead: a writer's write needs its lease to be the current one
 * (LEASE_LOST otherwise); any other write needs the thread to have no live lease (THREAD_BUSY).
 */
export function checkLease(threadId: ThreadID, lease: LeaseState | undefined, fence: Fence | undefined, now: number): void {
  if (fence) {
    if (!lease || lease.owner !== fence.owner || lease.token !== fence.token)
      throw new SkeinError(ErrorCode.LEASE_LOST, `the writer of ${threadId} lost its lease (token ${fence.token})`, {
        details: { threadId },
      });
    return;
  }
  if (lease && lease.expires > now) throw new ThreadBusyError(threadId);
}

/** Throws unless the thread's ops are held here: an evicted (archived) thread takes no writes until restored. */
export function checkNotEvicted(threadId: ThreadID, evicted: number | null | undefined): void {
  if (evicted === null || evicted === undefined) return;
  throw archivedError(threadId);
}

/** Throws unless `ops` are exactly versions 1 ... v of the thread, in order (what `reinstate` puts back). */
export function checkWholeLog(threadId: ThreadID, v: number, ops: readonly Op[]): void {
  const bad = ops.length !== v ? ops.length : ops.findIndex((op, i) => op.threadId !== threadId || op.v !== i + 1);
  if (ops.length === v && bad < 0) {
    if (new Set(ops.map((op) => op.opId)).size === ops.length) return;
    throw new SkeinError(ErrorCode.VALIDATION, `the ops given for ${threadId} repeat an op id`, { details: { threadId } });
  }
  throw new SkeinError(ErrorCode.VALIDATION, `the ops given for ${threadId} are not its versions 1 to ${v} (at index ${bad})`, {
    details: { threadId },
  });
}
