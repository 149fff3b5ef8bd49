/**
 * Relationships and costs over a thread and what was spawned from or made of it (DESIGN section
 * 6): the seed's `getRelatedThreads`, the whole tree, and usage roll-ups by model and by day.
 * Built on the store's reads, so it works the same for every backend and tier.
 */
import { notFound } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { threadEdges, type EdgeRel, type LinkRel, type ThreadEdge, type ThreadLink } from '../model/links.js';
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

/** A thread-map neighbour (handoff, fork, mention) and the message the link concerns. */
export interface MapLink<T> {
  thread: T;
  /** `fork`: the last message copied (of the origin); `mention`: the message that names this thread. */
  messageId?: string;
}

/**
 * What `Store.getRelatedThreads` answers: the seed's shape (thread, parent, summaries, children)
 * plus the thread map: handoffs to and from it, forks of it and its origin, and the threads whose
 * messages mention it.
 */
export interface RelatedThreads {
  thread: Thread;
  parent: Thread | null;
  summaries: Thread[];
  children: Thread[];
  /** The thread this one continues (`handoffFrom`). */
  handoffFrom: Thread | null;
  /** Threads that continue this one. */
  handoffs: Thread[];
  /** The thread this one is a copy of, and the last message copied. */
  forkedFrom: MapLink<Thread> | null;
  forks: MapLink<Thread>[];
  /** Threads with a message that names this one (one entry per message). */
  mentionedBy: MapLink<Thread>[];
}

/**
 * A thread and everything spawned from or made of it (sub-agents and summaries, recursively), and
 * its thread-map neighbours one step away (heads, not walked further).
 */
export interface ThreadTree {
  thread: ThreadInfo;
  children: ThreadTree[];
  summaries: ThreadTree[];
  links: TreeLink[];
}

/** One thread-map edge of a tree node, seen from that node. */
export interface TreeLink {
  rel: 'handoff' | 'handoff-from' | 'fork' | 'forked-from' | 'mentioned-by';
  thread: ThreadInfo;
  messageId?: string;
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
  const loadLinks = async (rel: LinkRel) =>
    (await Promise.all((thread.links ?? []).filter((l) => l.rel === rel).map(async (l) => ({ l, t: await host.getThread(l.threadId) }))))
      .filter((x): x is { l: ThreadLink; t: Thread } => x.t !== null)
      .map(({ l, t }) => ({ thread: t, ...(l.messageId !== undefined && { messageId: l.messageId }) }));
  const origin = thread.forkedFrom ? await host.getThread(thread.forkedFrom) : null;
  return {
    thread,
    parent: thread.mainThreadID ? await host.getThread(thread.mainThreadID) : null,
    summaries: await load(thread.summaryThreadIDs),
    children: await load(thread.childThreadIDs),
    handoffFrom: thread.handoffFrom ? await host.getThread(thread.handoffFrom) : null,
    handoffs: (await loadLinks('handoff')).map((x) => x.thread),
    forkedFrom: origin ? { thread: origin, ...(thread.forkedAt !== undefined && { messageId: thread.forkedAt }) } : null,
    forks: await loadLinks('fork'),
    mentionedBy: await loadLinks('mention'),
  };
}

const TREE_RELS: ReadonlySet<EdgeRel> = new Set<TreeLink['rel']>(['handoff', 'handoff-from', 'fork', 'forked-from', 'mentioned-by']);
const isTreeLink = (e: ThreadEdge): e is ThreadEdge & { rel: TreeLink['rel'] } => TREE_RELS.has(e.rel);

/** A node's thread-map edges: both ends of handoffs and forks, and its mentions (sub-agents and summaries are the tree itself). */
async function treeLinks(host: RelationsHost, head: ThreadInfo): Promise<TreeLink[]> {
  const out: TreeLink[] = [];
  for (const e of threadEdges(head).filter(isTreeLink)) {
    const info = await host.info(e.threadId);
    if (info) out.push({ rel: e.rel, thread: info, ...(e.messageId !== undefined && { messageId: e.messageId }) });
  }
  return out;
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
    return { thread: head, children: await sub(head.childThreadIDs), summaries: await sub(head.summaryThreadIDs), links: await treeLinks(host, head) };
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
