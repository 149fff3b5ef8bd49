/**
 * A pulled page's threads this device has never seen, stored together: each arrives whole (its
 * log from `thread:create` at v1), so its head is folded once and all of them go into the local
 * store in one commit (one transaction, one fsync) instead of one per thread.
 */
import type { ThreadID } from '../model/ids.js';
import type { SyncReplica } from '../store/ports.js';
import type { PullChange } from './protocol.js';
import type { SyncStateStore } from './sync-state.js';

/**
 * Imports the changes of `changes` that bring a whole new thread, in one commit; returns the
 * changes left to apply one by one and how many ops were imported. Should the commit fail (a
 * thread arrived here meanwhile), nothing is written and every change is left to the caller.
 */
export async function importNewThreads(store: SyncReplica, state: SyncStateStore, changes: PullChange[]): Promise<{ rest: PullChange[]; pulled: number }> {
  const fresh: PullChange[] = [];
  const rest: PullChange[] = [];
  const seen = new Set<ThreadID>();
  for (const c of changes) {
    const whole = c.ops.length > 0 && c.ops[0]!.type === 'thread:create' && c.ops.every((o, i) => o.v === i + 1 && o.threadId === c.id);
    if (whole && !seen.has(c.id) && state.get(c.id).syncedV === 0 && !(await store.localHead(c.id))) fresh.push(c);
    else rest.push(c);
    seen.add(c.id);
  }
  if (fresh.length < 2) return { rest: changes, pulled: 0 };
  try {
    await store.importThreads(fresh.map((c) => c.ops));
  } catch {
    return { rest: changes, pulled: 0 };
  }
  let pulled = 0;
  for (const c of fresh) {
    const s = state.get(c.id);
    state.set(c.id, { ...s, syncedV: c.ops.at(-1)!.v, remoteV: Math.max(s.remoteV, c.toVersion, c.ops.at(-1)!.v) });
    pulled += c.ops.length;
  }
  return { rest, pulled };
}
