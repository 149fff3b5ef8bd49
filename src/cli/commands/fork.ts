import { stringOpt, threadIdArg, usageError } from '../args.js';
import type { Command } from '../command.js';
import { withoutClock } from '../views.js';

/** `skein fork`: a copy of a thread up to a message, as a new thread linked to its origin. */
export const forkCommand: Command = {
  name: 'fork',
  summary: 'copy a thread up to and including a message into a new thread and print its id',
  usage: 'skein fork ID --at MSG [--title T]',
  details: ['--at MSG         the id of the last message to copy (see `skein show`)', '--title T        the copy\'s title (default: "Fork of <title>")'],
  options: { at: { type: 'string' }, title: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const at = stringOpt(args.values, 'at');
    if (at === undefined) throw usageError('--at is required', '--at');
    const title = stringOpt(args.values, 'title');
    const store = await ctx.openStore();
    const copy = await store.fork(id, { atMessageId: at, ...(title !== undefined && { title }) });
    if (ctx.json) ctx.printJson(withoutClock(copy));
    else ctx.print(copy.id);
  },
};
