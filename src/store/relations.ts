/**
 * Relationships and costs over a thread and what was spawned from or made of it (DESIGN section
 * 6): the seed's `getRelatedThreads`, the whole tree, and usage roll-ups by model and by day.
 * Built on the store's reads, so it works the same for every backend and tier.
 */
import { notFound } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Thread } from '../model/types.js';
import type { UsageRow, UsageTotals } from './backend.js';
import { addUsage } from './view.js';

import type { ThreadInfo } from './types.js';

export type { UsageTotals } from './backend.js';

/** What `Store.usage` answers. */
export interface UsageReport extends UsageTotals {
  threads: number;
  byModel: Record<string, UsageTotals>;
  byDay?: Record<string, UsageTotals>;
}

/** What `Store.getRelatedThreads` answers (seed shape). */
export interface RelatedThreads {
  thread: Thread;
  parent: Thread | null;
  summaries: Thread[];
  children: Thread[];
}

/** A thread and everything spawned from or made of it. */
export interface ThreadTree {
  thread: ThreadInfo;
  children: ThreadTree[];
  summaries: ThreadTree[];
}

/** The reads relations are built on. */
export interface RelationsHost {
  getThread(id: ThreadID): Promise<Thread | null>;
  info(id: ThreadID): Promise<ThreadInfo | null>;
  /** Usage sums over these threads' messages, grouped. */
  usageRows(ids: ThreadID[], by: 'model' | 'day'): Promise<UsageRow[]>;
}

function zeroTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0 };
}

/** Adds `u` into `into`, keeping the cost to a billionth of a dollar (no float noise in reports). */
function addTotals(into: UsageTotals, u: UsageTotals): void {
  addUsage(into, u);
  into.costUSD = Math.round(into.costUSD * 1e9) / 1e9;
}

/** The thread, its parent, its summaries and its children, as whole threads. */
export async function relatedThreads(host: RelationsHost, id: ThreadID): Promise<RelatedThreads> {
  const thread = await host.getThread(id);
  if (!thread) throw notFound(`thread ${id}`);
  const load = async (ids: ThreadID[]) => (await Promise.all(ids.map((x) => host.getThread(x)))).filter((t): t is Thread => t !== null);
  return {
    thread,
    parent: thread.mainThreadID ? await host.getThread(thread.mainThreadID) : null,
    summaries: await load(thread.summaryThreadIDs),
    children: await load(thread.childThreadIDs),
  };
}

/** The tree of heads under a thread (a thread reached twice is shown once). */
export async function threadTree(host: RelationsHost, id: ThreadID): Promise<ThreadTree> {
  const seen = new Set<ThreadID>();
  const walk = async (tid: ThreadID): Promise<ThreadTree | undefined> => {
    if (seen.has(tid)) return undefined;
    seen.add(tid);
    const head = await host.info(tid);
    if (!head) return undefined;
    const sub = async (ids: ThreadID[]) => (await Promise.all(ids.map(walk))).filter((t): t is ThreadTree => t !== undefined);
    return { thread: head, children: await sub(head.childThreadIDs), summaries: await sub(head.summaryThreadIDs) };
  };
  const tree = await walk(id);
  if (!tree) throw notFound(`thread ${id}`);
  return tree;
}

/** Usage of a thread, or of its whole tree, by model and optionally by day. */
export async function usageReport(host: RelationsHost, id: ThreadID, options: { tree?: boolean; byDay?: boolean }): Promise<UsageReport> {
  let ids: ThreadID[] = [id];
  if (options.tree) {
    const flat: ThreadID[] = [];
    const visit = (t: ThreadTree) => {
      flat.push(t.thread.id);
      t.children.forEach(visit);
      t.summaries.forEach(visit);
    };
    visit(await threadTree(host, id));
    ids = flat;
  } else if (!(await host.info(id))) throw notFound(`thread ${id}`);
  // Grouped in a Map: a model is a caller's string, and `__proto__` is a name like any other.
  const group = async (by: 'model' | 'day') => {
    const out = new Map<string, UsageTotals>();
    for (const row of await host.usageRows(ids, by)) {
      const key = row.group || 'unknown';
      let t = out.get(key);
      if (!t) out.set(key, (t = zeroTotals()));
      addTotals(t, row);
    }
    return out;
  };
  const byModel = await group('model');
  const report: UsageReport = { ...zeroTotals(), threads: ids.length, byModel: Object.fromEntries(byModel) };
  for (const t of byModel.values()) addTotals(report, t);
  // Object.fromEntries defines each key as an own property (`__proto__` included), never a prototype.
  if (options.byDay) report.byDay = Object.fromEntries(await group('day'));
  return report;
}
