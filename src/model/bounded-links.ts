/**
 * A thread's links, bounded in the stored head. Sub-agents (`childThreadIDs`), summaries
 * (`summaryThreadIDs`) and thread-map links (`links`: handoffs, forks, mentions) are sets that only
 * grow: a thread mentioned a thousand times would carry a thousand entries in the head row that
 * every append reads and writes. A store keeps every link beside the head (a side table, like the
 * hidden ranges of hidden.ts) and the head row at most {@link MAX_LINKS} of each list: the first
 * in canonical order (so that any replica bounds a head the same way, without knowing when a link
 * came). `clock.linkCounts` then says how many the list has whole, for each list it cuts.
 *
 * Appending stays exact on a bounded head: `step` counts a link it adds to a cut list, and a link
 * the head does not show is looked up beside it before it is folded ({@link missingLinks},
 * {@link withLinks}), so that a repeated link is still one set member and counted once.
 *
 * A whole thread or head read from a store has every link again ({@link withAllLinks}), in the
 * canonical order folding its log gives: the bounding is a storage matter, the model never sees it.
 */
import { boundMeta } from './bounded-meta.js';
import { boundHidden } from './hidden.js';
import { compareKeys } from './order-key.js';
import { hasLink, unionLinks, type LinkRel, type ThreadLink } from './links.js';
import type { ThreadID } from './ids.js';
import type { Op, ThreadClock } from './types.js';

/** How many entries of each link list a stored head keeps, at most. */
export const MAX_LINKS = 8;

/** The three link lists of a head, by the name `clock.linkCounts` uses. */
export type LinkList = 'child' | 'summary' | 'links';

/** One link as a store keeps it beside the head: a sub-agent, a summary, or a thread-map link. */
export interface StoredLink {
  rel: 'child' | 'summary' | LinkRel;
  threadId: ThreadID;
  /** `fork`: the last message copied; `mention`: the message that names this thread. */
  messageId?: string;
}

/** How many links a thread has, per list: what a write and a list row answer instead of the lists. */
export interface LinkCounts {
  childCount: number;
  summaryCount: number;
  linkCount: number;
}

/** The fields of a head its links live in. */
export interface LinkHead {
  childThreadIDs: ThreadID[];
  summaryThreadIDs: ThreadID[];
  links?: ThreadLink[];
  clock: ThreadClock;
}

/** The list a stored link belongs to. */
export function listOf(l: StoredLink): LinkList {
  return l.rel === 'child' || l.rel === 'summary' ? l.rel : 'links';
}

/** The link an op adds, if it is a link op. */
export function linkOfOp(op: Op): StoredLink | undefined {
  switch (op.type) {
    case 'child:link':
      return { rel: 'child', threadId: op.linked };
    case 'summary:link':
      return { rel: 'summary', threadId: op.linked };
    case 'handoff:link':
      return { rel: 'handoff', threadId: op.linked };
    case 'fork:link':
    case 'mention:link':
      return { rel: op.type === 'fork:link' ? 'fork' : 'mention', threadId: op.linked, messageId: op.messageId };
    default:
      return undefined;
  }
}

/** The link a link op adds, counted when its list is cut in this (stored) head's clock: `step` calls it for a new set member. */
export function countLink(clock: ThreadClock, op: Op): StoredLink {
  const link = linkOfOp(op)!;
  const list = listOf(link);
  const cut = clock.linkCounts?.[list];
  if (cut !== undefined) clock.linkCounts = { ...clock.linkCounts, [list]: cut + 1 };
  return link;
}

const asThreadLink = (l: StoredLink): ThreadLink => ({ rel: l.rel as LinkRel, threadId: l.threadId, ...(l.messageId !== undefined && { messageId: l.messageId }) });

/** True when the head's list shows this link. */
export function showsLink(head: LinkHead, l: StoredLink): boolean {
  if (l.rel === 'child') return head.childThreadIDs.includes(l.threadId);
  if (l.rel === 'summary') return head.summaryThreadIDs.includes(l.threadId);
  return hasLink(head.links, asThreadLink(l));
}

/** A head or a thread without its bookkeeping (whose lists are whole). */
type Counted = Omit<LinkHead, 'clock'> & { clock?: ThreadClock };

/** The number of links of one list: the whole count a cut list keeps, else the list's length. */
function countOf(head: Counted, list: LinkList): number {
  const cut = head.clock?.linkCounts?.[list];
  if (cut !== undefined) return cut;
  if (list === 'child') return head.childThreadIDs.length;
  if (list === 'summary') return head.summaryThreadIDs.length;
  return head.links?.length ?? 0;
}

/** How many links the thread has, per list (O(1) on a stored head). */
export function linkCounts(head: Counted): LinkCounts {
  return { childCount: countOf(head, 'child'), summaryCount: countOf(head, 'summary'), linkCount: countOf(head, 'links') };
}

/** Every link a head shows: the sub-agents, the summaries, then the thread-map links. */
export function linksOf(head: LinkHead): StoredLink[] {
  return [
    ...head.childThreadIDs.map((threadId): StoredLink => ({ rel: 'child', threadId })),
    ...head.summaryThreadIDs.map((threadId): StoredLink => ({ rel: 'summary', threadId })),
    ...(head.links ?? []).map((l): StoredLink => ({ ...l })),
  ];
}

/**
 * The links among `links` that a head cannot say it has (a list was cut and does not show them):
 * a store looks these up beside the head before folding the ops that add them.
 */
export function missingLinks(head: LinkHead, links: readonly StoredLink[]): StoredLink[] {
  const counts = head.clock.linkCounts;
  if (!counts) return [];
  return links.filter((l) => counts[listOf(l)] !== undefined && !showsLink(head, l));
}

/** A head with stored links it did not show added to its lists (their counts include them already). */
export function withLinks<T extends LinkHead>(head: T, found: readonly StoredLink[]): T {
  if (found.length === 0) return head;
  const child = found.filter((l) => l.rel === 'child').map((l) => l.threadId);
  const summary = found.filter((l) => l.rel === 'summary').map((l) => l.threadId);
  const other = found.filter((l) => listOf(l) === 'links').map(asThreadLink);
  const sorted = (a: ThreadID[], b: ThreadID[]) => [...new Set([...a, ...b])].sort(compareKeys);
  const out: T = { ...head, childThreadIDs: sorted(head.childThreadIDs, child), summaryThreadIDs: sorted(head.summaryThreadIDs, summary) };
  if (other.length > 0) out.links = unionLinks(head.links, other);
  return out;
}

/**
 * The head as stored: each list of more than {@link MAX_LINKS} links cut to its first
 * {@link MAX_LINKS} (they are in canonical order), with its whole count in `clock.linkCounts`.
 * O(1) beyond the lists' own length: a head whose lists are short is returned as it is.
 */
export function boundLinks<T extends LinkHead>(head: T): T {
  const counts = { ...head.clock.linkCounts };
  let cut = false;
  const bound = <X>(list: LinkList, xs: X[]): X[] => {
    if (xs.length <= MAX_LINKS) return xs;
    counts[list] ??= xs.length;
    cut = true;
    return xs.slice(0, MAX_LINKS);
  };
  const child = bound('child', head.childThreadIDs);
  const summary = bound('summary', head.summaryThreadIDs);
  const links = head.links && bound('links', head.links);
  if (!cut) return head;
  return { ...head, childThreadIDs: child, summaryThreadIDs: summary, ...(links && { links }), clock: { ...head.clock, linkCounts: counts } };
}

/** The head as a store keeps it: its hidden ranges, links and meta keys bounded (hidden.ts, this module, bounded-meta.ts). */
export function boundHead<T extends LinkHead & { meta?: Record<string, unknown> }>(head: T): T {
  return boundMeta(boundLinks(boundHidden(head)));
}

/** A stored head made whole: `all` is every link of the thread (in any order). */
export function withAllLinks<T extends LinkHead>(head: T, all: readonly StoredLink[]): T {
  const { linkCounts: _n, ...clock } = head.clock;
  const out: T = {
    ...head,
    childThreadIDs: all.filter((l) => l.rel === 'child').map((l) => l.threadId).sort(compareKeys),
    summaryThreadIDs: all.filter((l) => l.rel === 'summary').map((l) => l.threadId).sort(compareKeys),
    clock,
  };
  const links = unionLinks([], all.filter((l) => listOf(l) === 'links').map(asThreadLink));
  if (links.length > 0) out.links = links;
  else delete out.links;
  return out;
}
