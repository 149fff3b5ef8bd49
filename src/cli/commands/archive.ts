import { ValidationError, type ArchiveProgress } from '../../index.js';
import { expectPositionals, stringOpt } from '../args.js';
import type { Command } from '../command.js';
import { plural } from '../output.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration such as `30d`, `12h`, `90m`, `0s` in ms. */
export function parseDuration(raw: string, option: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  if (!Number.isSafeInteger(ms)) throw new ValidationError(option, `must be a duration such as 30d, 12h, 90m or 0s, not ${JSON.stringify(raw)}`);
  return ms;
}

/** `skein archive`: move inactive threads to cold storage. */
export const archiveCommand: Command = {
  name: 'archive',
  summary: 'move threads inactive for a while to cold storage',
  usage: 'skein archive [--older-than 30d]',
  details: [
    '--older-than D   archive threads with no change for D (units ms s m h d w; default 30d)',
    'archived threads still list and count in costs; skein restore ID brings one back',
    'threads held by a writer are skipped and reported',
  ],
  options: { 'older-than': { type: 'string' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const raw = stringOpt(args.values, 'older-than');
    const olderThanMs = raw === undefined ? undefined : parseDuration(raw, '--older-than');
    const store = await ctx.openStore();
    const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true;
    let drawn = false;
    const onProgress = (p: ArchiveProgress) => {
      if (!tty || p.total === 0) return;
      ctx.io.stderr.write(`\rarchiving ${p.done}/${p.total}  (${p.archived} archived, ${p.skipped} skipped)`);
      drawn = true;
    };
    const result = await store.archiveInactiveThreads({ ...(olderThanMs !== undefined && { olderThanMs }), onProgress });
    if (drawn) ctx.io.stderr.write('\n');
    if (ctx.json) {
      ctx.printJson(result);
      return;
    }
    ctx.print(`archived ${plural(result.archived.length, 'thread')}${result.skipped.length ? `, skipped ${result.skipped.length}` : ''}`);
    for (const s of result.skipped) ctx.print(`skipped  ${s.id}  ${s.reason}`);
  },
};
