/**
 * A thread tree with each thread's own cost, and its rendering: what `skein tree` and
 * `skein demo` print. The total is the store's tree roll-up, not a sum made here.
 */
import { kindOf, type Store, type ThreadID, type ThreadKind, type ThreadTree, type TreeLink, type UsageReport, type UsageTotals } from '../index.js';
import { formatCost, formatCount, plural } from './output.js';
import { titleOf } from './views.js';

/** One thread of the tree, with the usage of its own messages. */
export interface CostNode {
  id: ThreadID;
  kind: ThreadKind;
  title?: string;
  v: number;
  messageCount: number;
  usage: UsageTotals;
  children: CostNode[];
  summaries: CostNode[];
  /** Thread-map neighbours (handoffs, forks, mentions), one step away, not walked. */
  links: CostLink[];
}

/** One thread-map edge of a node as `skein tree` shows it. */
export interface CostLink {
  rel: TreeLink['rel'];
  id: ThreadID;
  title?: string;
  messageId?: string;
}

/** A tree and the usage of all of it. */
export interface CostTree {
  tree: CostNode;
  total: UsageReport;
}

function totalsOf(r: UsageReport): UsageTotals {
  return { inputTokens: r.inputTokens, outputTokens: r.outputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens, costUSD: r.costUSD };
}

/**
 * The tree under `id` (sub-agents and summaries, recursively) with per-thread and total usage, and
 * each node's thread-map links (their cost is not in the total: they are other work).
 */
export async function costTree(store: Store, id: ThreadID): Promise<CostTree> {
  const withCost = async (t: ThreadTree): Promise<CostNode> => ({
    id: t.thread.id,
    kind: kindOf(t.thread),
    ...(t.thread.title !== undefined && { title: t.thread.title }),
    v: t.thread.v,
    messageCount: t.thread.messageCount,
    usage: totalsOf(await store.usage(t.thread.id)),
    children: await Promise.all(t.children.map(withCost)),
    summaries: await Promise.all(t.summaries.map(withCost)),
    links: t.links.map((l) => ({
      rel: l.rel,
      id: l.thread.id,
      ...(l.thread.title !== undefined && { title: l.thread.title }),
      ...(l.messageId !== undefined && { messageId: l.messageId }),
    })),
  });
  const tree = await withCost(await store.getThreadTree(id));
  return { tree, total: await store.usage(id, { tree: true }) };
}

const KIND_LABEL: Record<ThreadKind, string> = { main: 'main', subagent: 'sub-agent', summary: 'summary' };
const LINK_LABEL: Record<CostLink['rel'], string> = {
  handoff: '⇢ handed off to',
  'handoff-from': '⇠ handed off from',
  fork: '⑂ forked into',
  'forked-from': '⑂ forked from',
  'mentioned-by': '@ mentioned by',
};

/** The tree drawn with box characters, one thread a line, then the total. */
export function renderCostTree({ tree, total }: CostTree): string[] {
  const lines: string[] = [];
  const label = (n: CostNode) =>
    `${titleOf(n)}  [${KIND_LABEL[n.kind]}]  ${n.id}  ${plural(n.messageCount, 'msg')}  ${formatCost(n.usage.costUSD)}`;
  const walk = (n: CostNode, prefix: string) => {
    const below = [...n.children, ...n.summaries];
    const bar = below.length > 0 ? '│ ' : '  ';
    for (const l of n.links) lines.push(`${prefix}${bar}  ${LINK_LABEL[l.rel]} ${titleOf(l)}  ${l.id}${l.messageId ? `  (message ${l.messageId})` : ''}`);
    below.forEach((c, i) => {
      const last = i === below.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(c)}`);
      walk(c, prefix + (last ? '    ' : '│   '));
    });
  };
  lines.push(label(tree));
  walk(tree, '');
  lines.push(
    '',
    `total ${formatCost(total.costUSD)} over ${plural(total.threads, 'thread')}: ${formatCount(total.inputTokens)} in, ` +
      `${formatCount(total.outputTokens)} out, ${formatCount(total.cacheReadTokens)} cache read, ${formatCount(total.cacheWriteTokens)} cache write tokens`,
  );
  return lines;
}
