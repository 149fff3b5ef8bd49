/**
 * Hidden ranges, bounded in the stored head. Every `thread:truncate` leaves a range
 * `[fromKey, toKey)` in `clock.hidden`; a thread that is truncated often (edited prompts, rewound
 * steps) would carry one per truncation in the head row that every append reads and writes. The
 * ranges are disjoint with visible messages between them, so merging them would not help.
 *
 * A store keeps every range beside the head (a side table, like its index of tool calls) and the
 * head row only the {@link MAX_HIDDEN} with the largest `toKey`. `clock.hiddenBefore` then says
 * that the ranges left out all end at or below that key. This is enough to append:
 *
 * - a new top-level key is above every `toKey` (its stamp is newer), so no range hides it;
 * - a key at or above `hiddenBefore` is hidden exactly when a range of the head hides it;
 * - only a key below `hiddenBefore` (a remote message of an old turn, a reply under a call the
 *   head forgot, a turn truncated more than {@link MAX_HIDDEN} times) needs the ranges left out:
 *   the store looks up those overlapping the key and folds with them ({@link withRanges}).
 *
 * A whole thread read from a store has all its ranges again ({@link withAllRanges}), in the order
 * folding its log gives them: the bounding is a storage matter, the model never sees it.
 */
import { KEY_SEP, compareKeys } from './order-key.js';
import type { HiddenRange, ThreadClock } from './types.js';

/** How many hidden ranges a stored head keeps, at most. */
export const MAX_HIDDEN = 8;

/** A span of keys `[from, to)`. */
export interface KeySpan {
  from: string;
  to: string;
}

/**
 * The span of one key: the ranges overlapping it are those that hide it. (Its end is the key and
 * a character below every key character; not NUL, which Postgres text cannot hold.)
 */
export function keySpan(key: string): KeySpan {
  return { from: key, to: key + '\u0001' };
}

/** The span of a key and its whole subtree: where a new child of `parent` falls. */
export function subtreeSpan(parent: string): KeySpan {
  // The character after the separator: every key of the subtree sorts below it.
  return { from: parent, to: parent + String.fromCharCode(KEY_SEP.charCodeAt(0) + 1) };
}

/** True when a range overlaps the span. */
export function overlaps(r: HiddenRange, span: KeySpan): boolean {
  return r.fromKey < span.to && r.toKey > span.from;
}

/**
 * True when the head may not list every range overlapping `span`: some were left out of it and
 * might reach into the span. The store then looks them up.
 */
export function needsOlderRanges(clock: ThreadClock, span: KeySpan): boolean {
  return clock.hiddenBefore !== undefined && span.from < clock.hiddenBefore;
}

/** Orders ranges by their end, the latest first (ties, which one op cannot make, by opId). */
function later(a: HiddenRange, b: HiddenRange): number {
  return compareKeys(b.toKey, a.toKey) || compareKeys(b.opId, a.opId);
}

/**
 * The head as stored: at most {@link MAX_HIDDEN} ranges (the largest `toKey`s, in their order),
 * the rest below `hiddenBefore`. One pass over the ranges, keeping the latest few: a head made
 * from a whole thread (the memory tier's) is bounded without sorting all of them.
 */
export function boundHidden<T extends { clock: ThreadClock }>(head: T): T {
  const all = head.clock.hidden;
  if (all.length <= MAX_HIDDEN) return head;
  const top: HiddenRange[] = [];
  let before = head.clock.hiddenBefore;
  const drop = (r: HiddenRange) => {
    if (before === undefined || r.toKey > before) before = r.toKey;
  };
  // From the end: ranges mostly come in the order they were made, so the latest are met first.
  for (let j = all.length - 1; j >= 0; j--) {
    const r = all[j]!;
    if (top.length === MAX_HIDDEN && later(r, top[MAX_HIDDEN - 1]!) >= 0) {
      drop(r);
      continue;
    }
    let i = top.length;
    while (i > 0 && later(r, top[i - 1]!) < 0) i--;
    top.splice(i, 0, r);
    if (top.length > MAX_HIDDEN) drop(top.pop()!);
  }
  const kept = new Set(top);
  return { ...head, clock: { ...head.clock, hidden: all.filter((r) => kept.has(r)), hiddenBefore: before! } };
}

/** A head with ranges looked up beside it added (those it lists already are not repeated). */
export function withRanges<T extends { clock: ThreadClock }>(head: T, ranges: readonly HiddenRange[]): T {
  const have = new Set(head.clock.hidden.map((r) => r.opId));
  const more = ranges.filter((r) => !have.has(r.opId));
  return more.length === 0 ? head : { ...head, clock: { ...head.clock, hidden: [...more, ...head.clock.hidden] } };
}

/** A stored head made whole: `all` is every range of the thread, in log order. */
export function withAllRanges<T extends { clock: ThreadClock }>(head: T, all: readonly HiddenRange[]): T {
  const { hiddenBefore: _b, ...clock } = head.clock;
  return { ...head, clock: { ...clock, hidden: [...all] } };
}
