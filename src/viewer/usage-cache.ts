/**
 * A thread's usage for the viewer, remembered per store by the thread's version: `Store.usage`
 * sums the thread's message rows (its cost grows with the thread), while every change to those
 * rows (an append, a sync, a rewrite) moves the version. So a list page reloaded, paged back or
 * re-rendered row by row on live changes reads each unchanged thread's rows once, not per view.
 */
import type { ThreadID } from '../model/ids.js';
import { LruCache } from '../store/lru-cache.js';
import type { UsageReport } from '../store/relations.js';
import type { Store, ThreadInfo } from '../store/store.js';

/** Threads remembered per store. */
export const USAGE_CACHE_ENTRIES = 5000;
/** How long one is kept at most (archiving does not move a version; it keeps the sums anyway). */
const TTL_MS = 10 * 60_000;

const caches = new WeakMap<Store, LruCache<ThreadID, { v: number; usage: UsageReport }>>();

/** The usage of `info`'s thread (without its tree), from the cache when its version has not moved. */
export async function threadUsage(store: Store, info: Pick<ThreadInfo, 'id' | 'v'>): Promise<UsageReport> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new LruCache(USAGE_CACHE_ENTRIES)));
  const hit = cache.get(info.id);
  if (hit && hit.v === info.v) return structuredClone(hit.usage);
  const usage = await store.usage(info.id);
  cache.set(info.id, { v: info.v, usage: structuredClone(usage) }, TTL_MS);
  return usage;
}
