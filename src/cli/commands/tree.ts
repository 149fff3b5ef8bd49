import { threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { costTree, renderCostTree } from '../cost-tree.js';

/** `skein tree`: the sub-agent and summary tree of a thread with the cost of each thread. */
export const treeCommand: Command = {
  name: 'tree',
  summary: 'show the sub-agent and summary tree of a thread, with costs',
  usage: 'skein tree ID',
  details: [
    'Each line is one thread with the cost of its own messages; the total covers the whole tree.',
    'Under a thread, its thread-map links: handoffs to and from it, forks, and threads that mention it (not in the total).',
  ],
  options: {},
  async run(args, ctx) {
    const id = threadIdArg(args);
    const store = await ctx.openStore();
    const result = await costTree(store, id);
    if (ctx.json) ctx.printJson(result);
    else ctx.print(...renderCostTree(result));
  },
};
