/**
 * One thread as the memory backend holds it: its ops, message rows in key order, and what is kept
 * beside the head (every hidden range, link and meta key), with the functions that change one
 * entry. The backend (memory-backend.ts) checks versions and leases and calls these; they know
 * nothing of other threads.
 */
import { compareKeys } from '../../model/order-key.js';
import { type StoredLink } from '../../model/bounded-links.js';
import { type StoredMeta } from '../../model/bounded-meta.js';
import type { HiddenRange, Message, Op, ThreadHead } from '../../model/types.js';
import type { UsageRow } from '../backend.js';
import { addUsage, emptyUsage, usageColumns } from '../view.js';

/** One message row: its order key, the seq of its op, and whether it is hidden. */
export interface Row {
  key: string;
  seq: number;
  hidden: boolean;
  message: Message;
}

/** A stored thread. */
export interface Entry {
  head: ThreadHead;
  lastSeq: number;
  ops: { op: Op; seq: number }[];
  opIds: Set<string>;
  /** Message rows in key order. */
  rows: Row[];
  /** Every hidden range, in log order (the head keeps the newest few: model/hidden.ts). */
  hidden: HiddenRange[];
  hiddenIds: Set<string>;
  /** Every link, each once, in the order added (the head keeps the first few of each list: model/bounded-links.ts), by key. */
  links: Map<string, StoredLink>;
  /** Every stamped meta key, in the order first set (the head keeps the first few: model/bounded-meta.ts). */
  meta: Map<string, StoredMeta>;
  /** When the thread was evicted (its ops and rows are gone; `usage` keeps their sums). */
  evicted?: number;
  /** Usage of the evicted rows, per `model + '\n' + day`. */
  archivedUsage?: Map<string, { model: string; day: string; totals: UsageRow }>;
  /** The visible messages an evicted thread had: search still finds them. */
  archivedMessages?: Message[];
  /** When the title last changed (the time search gives a title match). */
  titleAt: number;
}

/** A deep copy: nothing the backend hands out or takes in is shared with its maps. */
export const clone = <T>(x: T): T => structuredClone(x);

const linkKey = (l: StoredLink): string => `${l.rel} ${l.threadId} ${l.messageId ?? ''}`;

/** A new, empty entry for a thread first written with this head. */
export function newEntry(head: ThreadHead): Entry {
  return { head: { ...head, messageCount: 0 }, lastSeq: 0, ops: [], opIds: new Set(), rows: [], hidden: [], hiddenIds: new Set(), links: new Map(), meta: new Map(), titleAt: head.updated };
}

/** Inserts a row at its place in key order (appends mostly land at the end). */
export function insertRow(e: Entry, row: Row): void {
  let i = e.rows.length;
  while (i > 0 && compareKeys(e.rows[i - 1]!.key, row.key) > 0) i--;
  e.rows.splice(i, 0, row);
}

/** The rows of a whole view, in key order, each with the seq of its op (0 when its op is not held). */
export function viewRowsOf(e: Entry, rows: { message: Message; hidden: boolean }[]): Row[] {
  const seqOf = new Map(e.ops.map((x) => [x.op.opId, x.seq]));
  return rows.map(({ message, hidden }) => ({ key: message.key!, seq: seqOf.get(message.id) ?? 0, hidden, message: clone(message) })).sort((a, b) => compareKeys(a.key, b.key));
}

/** Adds the ranges the entry does not hold yet, after the others. */
export function keepRanges(e: Entry, ranges: readonly HiddenRange[]): void {
  for (const r of ranges)
    if (!e.hiddenIds.has(r.opId)) {
      e.hidden.push(clone(r));
      e.hiddenIds.add(r.opId);
    }
}

/** Adds the links the entry does not hold yet. */
export function keepLinks(e: Entry, links: readonly StoredLink[]): void {
  for (const l of links) if (!e.links.has(linkKey(l))) e.links.set(linkKey(l), clone(l));
}

/** Whether the entry holds this link. */
export function hasLink(e: Entry, l: StoredLink): boolean {
  return e.links.has(linkKey(l));
}

/** Sets the meta keys given (a later write of a key replaces it, keeping its place). */
export function keepMeta(e: Entry, meta: readonly StoredMeta[]): void {
  for (const m of meta) e.meta.set(m.key, clone(m));
}

/** The visible rows. */
export function visibleRows(e: Entry | undefined): Row[] {
  return e?.rows.filter((r) => !r.hidden) ?? [];
}

/** A message's usage as a one-message row with its model and day, or undefined when it carried none. */
export function messageUsage(m: Message): { model: string; day: string; usage: UsageRow } | undefined {
  const [model, day, inTok, outTok, cr, cw, cost] = usageColumns(m);
  if (model === null && inTok === null && outTok === null && cr === null && cw === null && cost === null) return undefined;
  const usage = { group: '', inputTokens: inTok ?? 0, outputTokens: outTok ?? 0, cacheReadTokens: cr ?? 0, cacheWriteTokens: cw ?? 0, costUSD: cost ?? 0, messages: 1 };
  return { model: model ?? '', day, usage };
}

/** Moves an entry's ops and rows out, keeping their usage sums and visible messages (for cost and search). */
export function evictEntry(e: Entry, now: number): void {
  const sums = new Map<string, { model: string; day: string; totals: UsageRow }>();
  for (const row of e.rows) {
    const one = messageUsage(row.message);
    if (!one) continue;
    const k = `${one.model}\n${one.day}`;
    sums.set(k, { model: one.model, day: one.day, totals: addUsage(sums.get(k)?.totals ?? emptyUsage(''), one.usage) });
  }
  e.archivedUsage = sums;
  e.archivedMessages = e.rows.filter((r) => !r.hidden).map((r) => r.message);
  e.ops = [];
  e.opIds = new Set();
  e.rows = [];
  e.evicted = now;
}
