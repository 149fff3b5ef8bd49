import type { Store, ThreadID, ThreadTree, UsageTotals } from '../../index.js';
import { choiceOpt, flag, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { formatCost, formatCount, plural, table } from '../output.js';

/** Whether any thread counted has an estimated cost. */
async function costEstimated(store: Store, id: ThreadID, tree: boolean): Promise<boolean> {
  if (!tree) return (await store.info(id))?.meta?.costEstimated === true;
  const any = (t: ThreadTree): boolean => t.thread.meta?.costEstimated === true || t.children.some(any) || t.summaries.some(any);
  return any(await store.getThreadTree(id));
}

/** `skein cost`: token and cost totals of a thread or its whole tree, optionally grouped. */
export const costCommand: Command = {
  name: 'cost',
  summary: 'token and cost totals of a thread (or its tree), by model or day',
  usage: 'skein cost ID [--tree] [--by model|day]',
  details: ['--tree          include sub-agents and summaries, recursively', '--by model|day  one row per model, or per UTC day'],
  options: { tree: { type: 'boolean' }, by: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const tree = flag(args.values, 'tree');
    const by = choiceOpt(args.values, 'by', ['model', 'day'] as const);
    const store = await ctx.openStore();
    const report = await store.usage(id, { tree, byDay: by === 'day' });
    // Imported threads priced from a price table (not by the agent) carry meta.costEstimated.
    const estimated = await costEstimated(store, id, tree);
    if (ctx.json) {
      ctx.printJson({ id, tree, ...report, ...(estimated && { costEstimated: true }) });
      return;
    }
    const row = (name: string, t: UsageTotals) => [
      name,
      formatCount(t.inputTokens),
      formatCount(t.outputTokens),
      formatCount(t.cacheReadTokens),
      formatCount(t.cacheWriteTokens),
      formatCost(t.costUSD),
    ];
    const groups = by === 'model' ? report.byModel : by === 'day' ? (report.byDay ?? {}) : {};
    const rows = Object.entries(groups).map(([name, t]) => row(name, t));
    rows.push(row('total', report));
    const right = { align: 'right' } as const;
    ctx.print(`${id}${tree ? ` and its tree (${plural(report.threads, 'thread')})` : ''}${estimated ? ' (cost estimated from a price table)' : ''}`);
    ctx.print(
      ...table(
        [{ header: by === 'day' ? 'DAY' : by === 'model' ? 'MODEL' : '' }, { header: 'INPUT', ...right }, { header: 'OUTPUT', ...right }, { header: 'CACHE READ', ...right }, { header: 'CACHE WRITE', ...right }, { header: 'COST', ...right }],
        rows,
      ),
    );
  },
};
