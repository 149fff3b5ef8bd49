/**
 * Which threads a sync round pushes: those with local ops above the version both sides agreed on
 * (the outbox is derived from the log), whose policy syncs them, that are not set aside (poison)
 * or backing off; high priority first.
 */
import type { ThreadID } from '../model/ids.js';
import { kindOf } from '../store/policy.js';
import type { SyncReplica } from '../store/ports.js';
import type { SyncStateStore, ThreadSyncState } from './sync-state.js';

/** A thread to push: its local version and sync state. */
export interface OutboxThread {
  id: ThreadID;
  v: number;
  s: ThreadSyncState;
  high: boolean;
}

/**
 * The threads of `dirty` to push now, by priority; threads with nothing to send (or a policy that
 * keeps them local) leave `dirty`. An explicit round skips only what the server itself asked to
 * hold back (Retry-After, `heldByServer`); a background round also waits out each thread's backoff.
 */
export async function outboxThreads(
  store: Pick<SyncReplica, 'localHead' | 'policies'>,
  state: Pick<SyncStateStore, 'get'>,
  dirty: Set<ThreadID>,
  opts: { now: number; explicit: boolean; heldByServer: ReadonlyMap<ThreadID, number>; syncSubagents: boolean },
): Promise<OutboxThread[]> {
  const out: OutboxThread[] = [];
  for (const id of [...dirty]) {
    const info = await store.localHead(id);
    const s = state.get(id);
    if (!info || info.v <= s.syncedV) {
      dirty.delete(id);
      continue;
    }
    const kind = kindOf(info);
    const policy = store.policies[kind];
    if ((!policy.sync && !(kind === 'subagent' && opts.syncSubagents)) || !policy.local) {
      dirty.delete(id);
      continue;
    }
    if (s.poisoned || (opts.explicit ? (opts.heldByServer.get(id) ?? 0) > opts.now : s.nextAt > opts.now)) continue;
    out.push({ id, v: info.v, s, high: policy.priority === 'high' });
  }
  return out.sort((a, b) => Number(b.high) - Number(a.high));
}
