import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { plural } from '../output.js';

/** `skein reindex`: rebuild the full-text search index. */
export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'rebuild the search index from the stored messages and titles',
  usage: 'skein reindex',
  details: [
    'the index is kept up to date on every write; reindex rebuilds it (after a crash that left it',
    'doubtful, or to compact it). Archived threads keep the entries they had.',
  ],
  options: {},
  async run(args, ctx) {
    expectPositionals(args, []);
    const store = await ctx.openStore();
    const r = await store.reindex();
    if (ctx.json) {
      ctx.printJson(r);
      return;
    }
    ctx.print(`indexed ${plural(r.documents, 'document')}`);
  },
};
