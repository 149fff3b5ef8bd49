import { stringOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { withoutClock } from '../views.js';

/** `skein spawn`: a sub-agent thread whose first message is the task. */
export const spawnCommand: Command = {
  name: 'spawn',
  summary: 'spawn a sub-agent thread from a thread and print its id',
  usage: 'skein spawn ID --task TEXT [--title T]',
  details: ['--task TEXT   the sub-agent\'s first message (role user); read from stdin when absent and piped', '--title T     the sub-agent thread\'s title'],
  options: { task: { type: 'string' }, title: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const title = stringOpt(args.values, 'title');
    const task = await ctx.text(args.values, 'task');
    const store = await ctx.openStore();
    const child = await store.spawnSubAgentThread(id, task, title === undefined ? {} : { title });
    if (ctx.json) ctx.printJson(withoutClock(child));
    else ctx.print(child.id);
  },
};
