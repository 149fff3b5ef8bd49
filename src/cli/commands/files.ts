import { stringOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { formatTime, table } from '../output.js';

/** `skein files`: the file changes recorded in a thread, oldest first. */
export const filesCommand: Command = {
  name: 'files',
  summary: "list a thread's recorded file changes",
  usage: 'skein files ID [--op OPERATION]',
  details: ['--op OPERATION   only the changes of this operation (tool call)', 'a reverted change shows when it was reverted'],
  options: { op: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const operationId = stringOpt(args.values, 'op');
    const store = await ctx.openStore();
    const changes = await store.files.list(id, operationId === undefined ? {} : { operationId });
    if (ctx.json) {
      ctx.printJson({ id, changes });
      return;
    }
    if (changes.length === 0) {
      ctx.print('no file changes recorded');
      return;
    }
    const short = (h: string | undefined) => (h === undefined ? '-' : h.slice(0, 10));
    const rows = changes.map((c) => [formatTime(c.timestamp), c.operationId, c.type, c.path, short(c.before), short(c.after), c.reverted === undefined ? '' : `reverted ${formatTime(c.reverted)}`]);
    ctx.print(...table([{ header: 'AT' }, { header: 'OPERATION' }, { header: 'TYPE' }, { header: 'PATH' }, { header: 'BEFORE' }, { header: 'AFTER' }, { header: 'STATE' }], rows));
  },
};
