import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { costTree, renderCostTree } from '../cost-tree.js';
import { playDemoSession } from '../demo-session.js';

/** `skein demo`: plays a realistic agent session into a store and prints its tree with costs. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'play a sample agent session into a store and show its tree and costs',
  usage: 'skein demo [--dir DIR]',
  details: ['Without --dir the session goes into a new temporary directory, printed first.'],
  options: {},
  async run(args, ctx) {
    expectPositionals(args, []);
    const dir = ctx.dirGiven ? ctx.dir : mkdtempSync(join(tmpdir(), 'skein-demo-'));
    const store = await ctx.openStore({ dir, create: true });
    const threads = await playDemoSession(store);
    const result = await costTree(store, threads.main);
    if (ctx.json) {
      ctx.printJson({ dir, threads, ...result });
      return;
    }
    ctx.print(`demo store: ${dir}`, '', ...renderCostTree(result), '');
    ctx.print(
      `look around: skein show ${threads.main} --dir ${dir}`,
      `             skein cost ${threads.main} --tree --by model --dir ${dir}`,
      `             skein ui --dir ${dir}   (in a browser)`,
    );
  },
};
