import { kindOf, type Store, type ThreadSummary } from '../../index.js';
import { asOptions, expectPositionals, flag, intOpt, stringOpt } from '../args.js';
import type { Command } from '../command.js';
import { formatCount, formatTime, table } from '../output.js';
import { titleOf } from '../views.js';

/** Every thread, following the cursor page by page (each thread listed once). */
async function listAll(store: Store, limit: number, from: string | undefined): Promise<ThreadSummary[]> {
  const all: ThreadSummary[] = [];
  let cursor = from;
  do {
    const page = await store.listThreads({ limit, ...(cursor !== undefined && { cursor }) });
    all.push(...page.threads);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

/** `skein ls`: threads, newest activity first, a page at a time. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'list threads, newest activity first',
  usage: 'skein ls [--limit N] [--cursor C] [--all]',
  details: [
    '--limit N    threads per page (default 50, at most 1000)',
    '--cursor C   the next page, as printed after the previous one (JSON: nextCursor)',
    '--all        every thread: all pages (from --cursor when given), --limit per page'
  ],
  options: { limit: { type: 'string' }, cursor: { type: 'string' }, all: { type: 'boolean' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const all = flag(args.values, 'all');
    const limit = intOpt(args.values, 'limit', { min: 1, max: 1000 }) ?? (all ? 1000 : 50);
    const cursor = stringOpt(args.values, 'cursor');
    const store = await ctx.openStore();
    const page = await asOptions(
      all ? listAll(store, limit, cursor).then((threads) => ({ threads })) : store.listThreads({ limit, ...(cursor !== undefined && { cursor }) }),
      { cursor: '--cursor' },
    );
    if (ctx.json) {
      ctx.printJson(page);
      return;
    }
    if (page.threads.length === 0) {
      ctx.print('no threads');
      return;
    }
    const rows = page.threads.map((t) => [t.id, kindOf(t), formatCount(t.messageCount), String(t.v), formatTime(t.updated), titleOf(t)]);
    ctx.print(
      ...table(
        [{ header: 'ID' }, { header: 'KIND' }, { header: 'MSGS', align: 'right' }, { header: 'V', align: 'right' }, { header: 'UPDATED' }, { header: 'TITLE' }],
        rows,
      ),
    );
    if ('nextCursor' in page && page.nextCursor !== undefined) ctx.print('', `more: skein ls --cursor ${page.nextCursor}${ctx.dirFlag()}`);
  },
};
