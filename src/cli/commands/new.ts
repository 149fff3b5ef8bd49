import { resolve } from 'node:path';
import { expectPositionals, keyValues, stringOpt } from '../args.js';
import type { Command } from '../command.js';
import { withoutClock } from '../views.js';

/** `skein new`: creates a thread and prints its id. */
export const newCommand: Command = {
  name: 'new',
  summary: 'create a thread and print its id',
  usage: 'skein new [--title T] [--meta k=v ...] [--cwd DIR]',
  details: [
    '--title T      the thread title',
    '--meta k=v     a metadata entry (repeatable; values are strings)',
    '--cwd DIR      the working directory of the agent (env.cwd)',
    'Creates the store when it does not exist yet.',
  ],
  options: { title: { type: 'string' }, meta: { type: 'string', multiple: true }, cwd: { type: 'string' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const title = stringOpt(args.values, 'title');
    const meta = keyValues(args.values, 'meta');
    const cwd = stringOpt(args.values, 'cwd');
    const store = await ctx.openStore({ create: true });
    const thread = await store.createThread({
      ...(title !== undefined && { title }),
      ...(meta !== undefined && { meta }),
      ...(cwd !== undefined && { env: { cwd: resolve(cwd) } }),
    });
    if (ctx.json) ctx.printJson(withoutClock(thread));
    else ctx.print(thread.id);
  },
};
