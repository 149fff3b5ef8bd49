/**
 * The pull half of a sync round: pages after the cursor (the next one fetched while this one is
 * applied), each thread brought up to the server's ops. A page's threads this device has never
 * seen arrive whole (their logs from `thread:create` at v1), so each head is folded once and all
 * of them go into the local store in one commit (one transaction, one fsync), not one per thread.
 */
import { SkeinError, ErrorCode, VersionConflictError } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Op } from '../model/types.js';
import type { SyncReplica, SyncResult } from '../store/ports.js';
import type { SyncHttpClient } from './http-client.js';
import type { PullChange } from './protocol.js';
import { withRetry } from './retry.js';
import type { SyncStateStore, ThreadSyncState } from './sync-state.js';

const PULL_PAGE = 5000;

/** What a pull works with: the engine's replica, client and state, and its three-way merge. */
export interface PullContext {
  store: SyncReplica;
  client: SyncHttpClient;
  state: SyncStateStore;
  rebase(id: ThreadID, s: ThreadSyncState, serverOps: Op[], serverV: number): Promise<void>;
}

/** Pulls by cursor (unless `caughtUp`), then fetches the threads an earlier pull could not finish. */
export async function pull(ctx: PullContext, result: SyncResult, caughtUp: boolean): Promise<void> {
  // The next page is fetched while this one is applied (its cursor is in the answer).
  const fetchPage = (cursor: number) => withRetry(() => ctx.client.pull(cursor, PULL_PAGE, ctx.store.clientId), { attempts: 2, baseMs: 200 });
  let next = caughtUp ? undefined : fetchPage(ctx.state.cursor());
  while (next) {
    const page = await next;
    next = page.hasMore ? fetchPage(page.cursor) : undefined;
    // A failed prefetch is reported by the await that takes it, not as an unhandled rejection.
    next?.catch(() => undefined);
    try {
      const { rest, pulled } = await importNewThreads(ctx.store, ctx.state, page.changes);
      result.pulled += pulled;
      for (const change of rest) result.pulled += await applyChange(ctx, change);
    } catch (err) {
      await next?.catch(() => undefined);
      throw err;
    }
    ctx.state.setCursor(page.cursor);
  }
  // Threads a previous pull could not finish (held by another process's writer, or a gap).
  for (const [id, s] of ctx.state.behind()) {
    if (!s.poisoned) {
      const r = await ctx.client.threadOps(id, s.syncedV).catch(() => undefined);
      if (r) result.pulled += await applyChange(ctx, { id, fromVersion: r.fromVersion, toVersion: r.toVersion, ops: r.ops });
    }
  }
}

/** Brings one thread up to the server's ops in `change`; returns how many ops were new here. */
async function applyChange(ctx: PullContext, change: PullChange): Promise<number> {
  const id = change.id;
  const s = ctx.state.get(id);
  const remoteV = Math.max(s.remoteV, change.toVersion);
  let ops = change.ops.filter((o) => o.v > s.syncedV);
  if (ops.length === 0 && change.toVersion <= s.syncedV) return 0;
  try {
    // The server left out ops this device wrote, yet its sync state is behind them (a copied or
    // restored store, or a lost acknowledgement): fetch what it may lack.
    if (ops.length === 0) ops = (await ctx.client.threadOps(id, s.syncedV)).ops;
    if (ops.length === 0) return 0;
    // A gap (ops this device wrote are left out of pulls, or an earlier page was missed): fetch the range.
    if (ops.some((o, i) => o.v !== s.syncedV + 1 + i)) ops = (await ctx.client.threadOps(id, s.syncedV)).ops;
    // The local tier only: a tiered read would fetch a thread missing here from the server,
    // download it a second time and then take it for a diverged copy.
    const info = await ctx.store.localHead(id);
    if (!info) await ctx.store.importThread(ops);
    else if (info.v === s.syncedV) await ctx.store.applyRemoteOps(id, ops);
    else {
      await ctx.rebase(id, s, ops, ops.at(-1)!.v);
      return ops.length;
    }
    ctx.state.set(id, { ...s, syncedV: ops.at(-1)!.v, remoteV });
    return ops.length;
  } catch (err) {
    // Try again on a later round (e.g. another process holds the thread's writer).
    ctx.state.set(id, { ...s, remoteV });
    // A thread held by another writer, changed meanwhile, or archived here: remoteV remembers it.
    if (err instanceof VersionConflictError || (err instanceof SkeinError && err.code !== ErrorCode.INTERNAL)) return 0;
    throw err;
  }
}

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
