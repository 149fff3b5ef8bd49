import { ValidationError, type SearchOptions, type SearchResult } from '../../index.js';
import { asOptions, choiceOpt, expectPositionals, intOpt, stringOpt } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTime } from '../output.js';
import { parseDuration } from './archive.js';

/** `--since`: a duration back from now (`7d`) or an ISO date. */
function parseSince(raw: string): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const ms = Date.parse(raw);
    if (!Number.isNaN(ms)) return ms;
    throw new ValidationError('--since', `not a date: ${JSON.stringify(raw)}`);
  }
  return Date.now() - parseDuration(raw, '--since');
}

/** A caller's text on one terminal line: control characters shown escaped, never run. */
function safe(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The snippet with its matches in bold on a terminal that takes colour, plain otherwise. */
function highlighted(r: SearchResult, bold: boolean): string {
  if (!bold) return r.snippet;
  let out = '';
  let at = 0;
  for (const [s, e] of r.highlights) {
    out += r.snippet.slice(at, s) + '\x1b[1m' + r.snippet.slice(s, e) + '\x1b[22m';
    at = e;
  }
  return out + r.snippet.slice(at);
}

function colour(ctx: CliContext): boolean {
  return (ctx.io.stdout as { isTTY?: boolean }).isTTY === true && ctx.io.env.NO_COLOR === undefined;
}

/** `skein search`: full-text search over messages, tool calls and titles. */
export const searchCommand: Command = {
  name: 'search',
  summary: 'find messages and threads by their words (tool calls and file paths included)',
  usage: 'skein search QUERY [--limit N] [--cursor C] [--kind K] [--model M] [--cwd DIR] [--since 7d|DATE]',
  details: [
    'QUERY        words (all must match), "a phrase", prefix*, a OR b, -excluded; a path such as',
    '             src/login.ts matches as the phrase of its parts',
    '--limit N    results per page (default 20, at most 100)',
    '--cursor C   the next page, as printed after the previous one (JSON: nextCursor)',
    '--kind K     only main, subagent or summary threads',
    '--model M    only messages made with this model',
    '--cwd DIR    only threads whose working directory is DIR or below it',
    '--since T    only messages from a time on: a duration back from now (7d, 12h) or a date',
    'archived threads are found too, marked [archived]; ranking: relevance, then the newer first',
  ],
  options: {
    limit: { type: 'string' },
    cursor: { type: 'string' },
    kind: { type: 'string' },
    model: { type: 'string' },
    cwd: { type: 'string' },
    since: { type: 'string' },
  },
  async run(args, ctx) {
    const [query] = expectPositionals(args, ['QUERY']);
    const options: SearchOptions = {};
    const limit = intOpt(args.values, 'limit', { min: 1, max: 100 });
    if (limit !== undefined) options.limit = limit;
    const cursor = stringOpt(args.values, 'cursor');
    if (cursor !== undefined) options.cursor = cursor;
    const kind = choiceOpt(args.values, 'kind', ['main', 'subagent', 'summary'] as const);
    if (kind !== undefined) options.kind = kind;
    const model = stringOpt(args.values, 'model');
    if (model !== undefined) options.model = model;
    const cwd = stringOpt(args.values, 'cwd');
    if (cwd !== undefined) options.cwd = cwd;
    const since = stringOpt(args.values, 'since');
    if (since !== undefined) options.since = parseSince(since);
    const store = await ctx.openStore();
    const page = await asOptions(store.search(query!, options), { query: 'QUERY', cursor: '--cursor', model: '--model', cwd: '--cwd' });
    if (ctx.json) {
      ctx.printJson(page);
      return;
    }
    if (page.results.length === 0) {
      ctx.print('no matches');
      return;
    }
    const bold = colour(ctx);
    for (const r of page.results) {
      const where = r.messageId === null ? 'title' : r.messageId;
      const mark = r.archived ? '  [archived]' : '';
      ctx.print(`${r.threadId}  ${safe(r.title ?? '(untitled)')}  ${formatTime(r.timestamp)}  ${where}${mark}`, `  ${highlighted(r, bold)}`);
    }
    if (page.nextCursor !== undefined) ctx.print('', `more: skein search ${JSON.stringify(query)} --cursor ${page.nextCursor}${ctx.dirFlag()}`);
  },
};
