import { ErrorCode, SkeinError, ValidationError, type Message, type MessagePage } from '../../index.js';
import { asOptions, intOpt, stringOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { plural } from '../output.js';
import { messageLines, titleOf } from '../views.js';

interface Window {
  limit: number;
  offset?: number;
  before?: string;
  after?: string;
}

/**
 * The same window `Store.loadPage` gives, taken from a thread already in memory (a past version,
 * which has no materialized view to page through).
 */
function windowOf(messages: Message[], w: Window, where: string): Pick<MessagePage, 'messages' | 'hasMore' | 'hasNewer'> {
  const total = messages.length;
  const ref = w.before ?? w.after;
  if (ref !== undefined) {
    const at = messages.findIndex((m) => m.id === ref);
    if (at < 0) throw new SkeinError(ErrorCode.NOT_FOUND, `message ${ref} in ${where} not found`);
    if (w.before !== undefined) {
      const start = Math.max(0, at - w.limit);
      return { messages: messages.slice(start, at), hasMore: start > 0, hasNewer: true };
    }
    return { messages: messages.slice(at + 1, at + 1 + w.limit), hasMore: true, hasNewer: at + 1 + w.limit < total };
  }
  const offset = w.offset ?? 0;
  const end = Math.max(0, total - offset);
  const start = Math.max(0, end - w.limit);
  return { messages: messages.slice(start, end), hasMore: start > 0, hasNewer: offset > 0 };
}

/** `skein show`: a page of a thread's messages, now or at a past version. */
export const showCommand: Command = {
  name: 'show',
  summary: "show a thread's messages, a page at a time",
  usage: 'skein show ID [--limit N] [--offset N | --before MSGID | --after MSGID] [--at V]',
  details: [
    '--limit N        messages per page (default 50, at most 1000)',
    '--offset N       skip the N newest messages',
    '--before MSGID   the page just older than this message',
    '--after MSGID    the page just newer than this message',
    '--at V           the thread as it was at version V (time travel)',
  ],
  options: {
    limit: { type: 'string' },
    offset: { type: 'string' },
    before: { type: 'string' },
    after: { type: 'string' },
    at: { type: 'string' },
  },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const limit = intOpt(args.values, 'limit', { min: 1, max: 1000 }) ?? 50;
    const offset = intOpt(args.values, 'offset');
    const before = stringOpt(args.values, 'before');
    const after = stringOpt(args.values, 'after');
    const at = intOpt(args.values, 'at', { min: 1 });
    if ([offset, before, after].filter((x) => x !== undefined).length > 1)
      throw new ValidationError('', 'give at most one of --offset, --before and --after');
    const window: Window = { limit, ...(offset !== undefined && { offset }), ...(before !== undefined && { before }), ...(after !== undefined && { after }) };
    const store = await ctx.openStore();
    let page: MessagePage & { atVersion?: number };
    if (at === undefined) page = await store.loadPage(id, window);
    else {
      const thread = await asOptions(store.getThread(id, { atVersion: at }), { atVersion: '--at' });
      if (!thread) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      page = {
        id,
        v: thread.v,
        atVersion: at,
        ...(thread.title !== undefined && { title: thread.title }),
        created: thread.created,
        totalMessages: thread.messages.length,
        ...windowOf(thread.messages, window, `thread ${id} at version ${at}`),
      };
    }
    if (ctx.json) {
      ctx.printJson(page);
      return;
    }
    ctx.print(`${titleOf(page)}  ${id}  v${page.v}${at !== undefined ? ' (past version)' : ''}`);
    ctx.print(`showing ${page.messages.length} of ${plural(page.totalMessages, 'message')}`);
    for (const m of page.messages) ctx.print('', ...messageLines(m));
    const first = page.messages[0];
    const last = page.messages.at(-1);
    const more = `${at !== undefined ? ` --at ${at}` : ''}${ctx.dirFlag()}`;
    if (page.hasMore || page.hasNewer) ctx.print('');
    if (page.hasMore && first) ctx.print(`older: skein show ${id} --before ${first.id}${more}`);
    if (page.hasNewer && last) ctx.print(`newer: skein show ${id} --after ${last.id}${more}`);
  },
};
