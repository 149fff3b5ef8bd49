import { threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { plural } from '../output.js';
import { titleOf } from '../views.js';

/** `skein restore`: bring an archived thread back. */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'bring an archived thread back from cold storage',
  usage: 'skein restore ID',
  details: ['the archive entry is verified (checksum) first: a damaged one is reported and nothing is restored'],
  options: {},
  async run(args, ctx) {
    const id = threadIdArg(args);
    const store = await ctx.openStore();
    const thread = await store.restoreThread(id);
    if (ctx.json) {
      ctx.printJson(thread);
      return;
    }
    ctx.print(`restored ${id}  ${titleOf(thread)}  (${plural(thread.messages.length, 'message')}, v${thread.v})`);
  },
};
