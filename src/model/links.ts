/**
 * The thread map's links beyond sub-agents and summaries: `handoff` (a thread that continues this
 * one), `fork` (a copy of this one up to a message) and `mention` (a message of another thread
 * that names this one). Each is a set member, merged as a union like child and summary links.
 */
import { compareKeys } from './order-key.js';
import type { ThreadID } from './ids.js';

/** The kinds of thread-map link a thread keeps. */
export type LinkRel = 'handoff' | 'fork' | 'mention';

/** One thread-map link: the other thread and, for `fork` and `mention`, the message it concerns. */
export interface ThreadLink {
  rel: LinkRel;
  threadId: ThreadID;
  /** `fork`: the last message copied; `mention`: the message (of `threadId`) that names this thread. */
  messageId?: string;
}

function linkKey(l: ThreadLink): string {
  return `${l.rel} ${l.threadId} ${l.messageId ?? ''}`;
}

/** A set of links, deduplicated and in one canonical order, so that equal sets compare equal. */
export function unionLinks(a: readonly ThreadLink[] | undefined, b: readonly ThreadLink[] | undefined): ThreadLink[] {
  const byKey = new Map<string, ThreadLink>();
  for (const l of [...(a ?? []), ...(b ?? [])]) byKey.set(linkKey(l), l);
  return [...byKey.entries()].sort(([x], [y]) => compareKeys(x, y)).map(([, l]) => l);
}

/** Where a key goes in a sorted array (binary search): the index of the first entry not below it. */
function slot<T>(list: readonly T[], key: string, keyOf: (x: T) => string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keyOf(list[mid]!), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The sorted set of ids with one added: `ids` itself when it holds it, else a copy with it in its place (no sort). */
export function addId(ids: ThreadID[], id: ThreadID): ThreadID[] {
  const at = slot(ids, id, (x) => x);
  if (ids[at] === id) return ids;
  const out = ids.slice();
  out.splice(at, 0, id);
  return out;
}

/**
 * The set with one link added, in canonical order: `list` itself when it holds the link already,
 * else a copy with the link in its place (a binary search: no sort however long the list).
 */
export function addLink(list: readonly ThreadLink[] | undefined, l: ThreadLink): ThreadLink[] {
  const all = list ?? [];
  const k = linkKey(l);
  const lo = slot(all, k, linkKey);
  if (lo < all.length && linkKey(all[lo]!) === k) return all as ThreadLink[];
  const out = all.slice();
  out.splice(lo, 0, l);
  return out;
}

/** True when `list` holds this link. */
export function hasLink(list: readonly ThreadLink[] | undefined, l: ThreadLink): boolean {
  const k = linkKey(l);
  return (list ?? []).some((x) => linkKey(x) === k);
}

// Thread ids are lower-case; one glued to other word characters is not a mention.
const MENTION_RE = /(?<![A-Za-z0-9_-])@?(T-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_-])/g;

/** Where a text names a thread: the whole mention (`@` included) and the id it names. */
export interface MentionSpan {
  index: number;
  length: number;
  threadId: ThreadID;
}

/** Every place a text names a `T-<uuid>` thread id (with or without a leading `@`), in order. */
export function mentionSpans(text: string): MentionSpan[] {
  if (!text.includes('T-')) return [];
  return [...text.matchAll(MENTION_RE)].map((m) => ({ index: m.index, length: m[0].length, threadId: m[1] as ThreadID }));
}

/** The `T-<uuid>` thread ids a message's text names (with or without a leading `@`), each once. */
export function mentionedThreadIds(text: string): ThreadID[] {
  return [...new Set(mentionSpans(text).map((s) => s.threadId))];
}

/**
 * One edge of the thread map, seen from a thread: what the other thread is to it. `parent`,
 * `summary-of`, `handoff-from`, `forked-from` and `mentioned-by` lead to where it came from;
 * `subagent`, `summary`, `handoff` and `fork` to what was made of it (`mentions`, the other way
 * round of `mentioned-by`, is recorded only on the thread mentioned, so a head never yields it).
 */
export type EdgeRel = 'parent' | 'summary-of' | 'handoff-from' | 'forked-from' | 'mentioned-by' | 'subagent' | 'summary' | 'handoff' | 'fork' | 'mentions';

/** An edge of the map and the message it concerns (`forked-from`: of the origin; `fork`: of this thread; `mentioned-by`: of the other). */
export interface ThreadEdge {
  rel: EdgeRel;
  threadId: ThreadID;
  messageId?: string;
}

/** The fields of a thread's head its map edges come from. */
export interface EdgeSource {
  mainThreadID?: ThreadID;
  originThreadID?: ThreadID;
  childThreadIDs: readonly ThreadID[];
  summaryThreadIDs: readonly ThreadID[];
  handoffFrom?: ThreadID;
  forkedFrom?: ThreadID;
  forkedAt?: string;
  links?: readonly ThreadLink[];
}

const LINK_EDGE: Record<LinkRel, EdgeRel> = { handoff: 'handoff', fork: 'fork', mention: 'mentioned-by' };

/**
 * Every edge a thread's head records, one step away: its main thread, the thread it summarizes,
 * continues or copies, its sub-agents and summaries, and its thread-map links. Sources first.
 */
export function threadEdges(head: EdgeSource): ThreadEdge[] {
  const out: ThreadEdge[] = [];
  if (head.mainThreadID) out.push({ rel: 'parent', threadId: head.mainThreadID });
  if (head.originThreadID) out.push({ rel: 'summary-of', threadId: head.originThreadID });
  if (head.handoffFrom) out.push({ rel: 'handoff-from', threadId: head.handoffFrom });
  if (head.forkedFrom) out.push({ rel: 'forked-from', threadId: head.forkedFrom, ...(head.forkedAt !== undefined && { messageId: head.forkedAt }) });
  for (const threadId of head.childThreadIDs) out.push({ rel: 'subagent', threadId });
  for (const threadId of head.summaryThreadIDs) out.push({ rel: 'summary', threadId });
  for (const l of head.links ?? []) out.push({ rel: LINK_EDGE[l.rel], threadId: l.threadId, ...(l.messageId !== undefined && { messageId: l.messageId }) });
  return out;
}
