import { stringOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { withoutClock } from '../views.js';

/** `skein summarize`: a summary thread made of a thread. */
export const summarizeCommand: Command = {
  name: 'summarize',
  summary: 'create a summary thread of a thread and print its id',
  usage: 'skein summarize ID --content TEXT [--title T]',
  details: ['--content TEXT   the summary (role assistant); read from stdin when absent and piped', '--title T        the summary thread\'s title'],
  options: { content: { type: 'string' }, title: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const title = stringOpt(args.values, 'title');
    const content = await ctx.text(args.values, 'content');
    const store = await ctx.openStore();
    const summary = await store.createSummaryThread(id, content, title === undefined ? {} : { title });
    if (ctx.json) ctx.printJson(withoutClock(summary));
    else ctx.print(summary.id);
  },
};
