import { stringOpt, threadIdArg, usageError } from '../args.js';
import type { Command } from '../command.js';
import { withoutClock } from '../views.js';

/** `skein handoff`: a new thread continuing a thread, opened by a summary and a goal. */
export const handoffCommand: Command = {
  name: 'handoff',
  summary: 'start a new thread continuing a thread (summary + goal) and print its id',
  usage: 'skein handoff ID --goal TEXT [--summary TEXT] [--title T]',
  details: [
    '--goal TEXT      what the new thread is for (required)',
    '--summary TEXT   what to carry over; made from the title and last messages when absent',
    '--title T        the new thread\'s title (default: the goal)',
  ],
  options: { goal: { type: 'string' }, summary: { type: 'string' }, title: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const goal = stringOpt(args.values, 'goal');
    if (goal === undefined) throw usageError('--goal is required', '--goal');
    const summary = stringOpt(args.values, 'summary');
    const title = stringOpt(args.values, 'title');
    const store = await ctx.openStore();
    const next = await store.handoff(id, { goal, ...(summary !== undefined && { summary }), ...(title !== undefined && { title }) });
    if (ctx.json) ctx.printJson(withoutClock(next));
    else ctx.print(next.id);
  },
};
