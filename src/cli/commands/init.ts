import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { storeExists } from '../context.js';

/** `skein init`: creates the store directory and database. */
export const initCommand: Command = {
  name: 'init',
  summary: 'create a store (a directory with a SQLite database)',
  usage: 'skein init [--dir DIR]',
  details: ['Does nothing to a store that already exists.'],
  options: {},
  async run(args, ctx) {
    expectPositionals(args, []);
    const existed = storeExists(ctx.dir);
    await ctx.openStore({ create: true });
    if (ctx.json) ctx.printJson({ dir: ctx.dir, created: !existed });
    else ctx.print(existed ? `skein store already in ${ctx.dir}` : `created skein store in ${ctx.dir}`);
  },
};
