/**
 * A thread's meta keys, bounded in the stored head. Each key set with `meta:set` (or at creation)
 * leaves its value in `meta` and its last writer in `clock.stamps['meta.<key>']` (~115 B a key
 * with a short value, and a deleted key keeps its stamp): a thread with many keys would carry them
 * all in the head row that every append reads and writes. A store keeps every key beside the head
 * (value and stamp; the value `null` when deleted) and the head row at most {@link MAX_META} of
 * them: the first in key order, so that any replica bounds a head the same way.
 * `clock.metaCount` then says how many keys the thread has stamped in all.
 *
 * Setting a key stays last-writer-wins on a bounded head: a key the head does not show is looked
 * up beside it before the op is folded ({@link missingMeta}, {@link withMeta}), so `step` compares
 * with its stored stamp; `step` counts a key it stamps for the first time.
 *
 * A whole thread read from a store has every key and stamp again ({@link withAllMeta}): the
 * bounding is a storage matter, the model never sees it.
 */
import { compareKeys } from './order-key.js';
import type { Stamp, ThreadClock } from './types.js';

/** How many meta keys (with their stamps) a stored head keeps, at most. */
export const MAX_META = 8;

const PREFIX = 'meta.';

/** One meta key as a store keeps it beside the head: its value (`null` once deleted) and last writer. */
export interface StoredMeta {
  key: string;
  value: unknown;
  stamp: Stamp;
}

/** The fields of a head its meta keys live in. */
export interface MetaHead {
  meta?: Record<string, unknown>;
  clock: ThreadClock;
}

/** The meta keys a head has stamped (set or deleted), in the stamps' order. */
function stampedKeys(head: MetaHead): string[] {
  return Object.keys(head.clock.stamps)
    .filter((name) => name.startsWith(PREFIX))
    .map((name) => name.slice(PREFIX.length));
}

/** Every meta key a head has stamped, with its value and stamp. */
export function metaOf(head: MetaHead): StoredMeta[] {
  const meta = head.meta ?? {};
  return stampedKeys(head).map((key) => ({ key, value: Object.hasOwn(meta, key) ? meta[key] : null, stamp: head.clock.stamps[PREFIX + key]! }));
}

/**
 * A key just written, as a store keeps it; counted when stamped for the first time (`had`: it had
 * a stamp) in a (stored) head whose keys are cut. `step` calls it for a write that wins.
 */
export function keptMeta(clock: ThreadClock, had: boolean, key: string, value: unknown): StoredMeta {
  if (!had && clock.metaCount !== undefined) clock.metaCount++;
  return { key, value, stamp: clock.stamps[PREFIX + key]! };
}

/** The keys among `keys` that a head cannot answer for (its keys were cut and it does not show them). */
export function missingMeta(head: MetaHead, keys: readonly string[]): string[] {
  if (head.clock.metaCount === undefined) return [];
  return [...new Set(keys)].filter((k) => !Object.hasOwn(head.clock.stamps, PREFIX + k));
}

/** Defines a key (a caller's data, never the prototype: `__proto__` is a key like any). */
function put(into: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(into, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A head with stored keys it did not show added (their count includes them already). */
export function withMeta<T extends MetaHead>(head: T, found: readonly StoredMeta[]): T {
  if (found.length === 0) return head;
  const meta = { ...head.meta };
  const stamps = { ...head.clock.stamps };
  for (const m of found) {
    stamps[PREFIX + m.key] = m.stamp;
    if (m.value !== null) put(meta, m.key, m.value);
  }
  const out: T = { ...head, clock: { ...head.clock, stamps } };
  if (Object.keys(meta).length > 0) out.meta = meta;
  return out;
}

/**
 * The head as stored: when it has stamped more than {@link MAX_META} keys, only the first
 * {@link MAX_META} in key order keep their value and stamp in it, and `clock.metaCount` says how
 * many there are. Goes over the head's stamps once (a stored head has few).
 */
export function boundMeta<T extends MetaHead>(head: T): T {
  const keys = stampedKeys(head);
  if (keys.length <= MAX_META) return head;
  // The MAX_META smallest keys, without sorting all of them.
  const keep: string[] = [];
  for (const k of keys) {
    if (keep.length === MAX_META && compareKeys(k, keep[MAX_META - 1]!) >= 0) continue;
    let i = keep.length;
    while (i > 0 && compareKeys(k, keep[i - 1]!) < 0) i--;
    keep.splice(i, 0, k);
    if (keep.length > MAX_META) keep.pop();
  }
  const kept = new Set(keep);
  const stamps: Record<string, Stamp> = {};
  for (const [name, s] of Object.entries(head.clock.stamps)) if (!name.startsWith(PREFIX) || kept.has(name.slice(PREFIX.length))) stamps[name] = s;
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(head.meta ?? {})) if (kept.has(k)) put(meta, k, v);
  const out: T = { ...head, clock: { ...head.clock, stamps, metaCount: head.clock.metaCount ?? keys.length } };
  if (Object.keys(meta).length > 0) out.meta = meta;
  else delete out.meta;
  return out;
}

/** A stored head made whole: `all` is every stamped key of the thread, in the order first set. */
export function withAllMeta<T extends MetaHead>(head: T, all: readonly StoredMeta[]): T {
  const { metaCount: _n, ...clock } = head.clock;
  const stamps: Record<string, Stamp> = {};
  for (const [name, s] of Object.entries(clock.stamps)) if (!name.startsWith(PREFIX)) stamps[name] = s;
  const meta: Record<string, unknown> = {};
  for (const m of all) {
    stamps[PREFIX + m.key] = m.stamp;
    if (m.value !== null) put(meta, m.key, m.value);
  }
  const out: T = { ...head, clock: { ...clock, stamps } };
  if (Object.keys(meta).length > 0) out.meta = meta;
  else delete out.meta;
  return out;
}
