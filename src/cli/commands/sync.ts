import { SkeinError, ErrorCode } from '../../errors.js';
import { expectPositionals, flag, stringOpt, usageError } from '../args.js';
import type { Command } from '../command.js';

/** `skein sync`: pushes and pulls once (or keeps following the server with --watch). */
export const syncCommand: Command = {
  name: 'sync',
  summary: 'sync the store with a skein server',
  usage: 'skein sync [--remote URL] [--token T] [--watch]',
  details: [
    '--remote URL   the server (default: $SKEIN_REMOTE)',
    '--token T      a workspace token (default: $SKEIN_TOKEN)',
    '--watch        keep syncing live until interrupted',
    'Prints what moved: { pushed, pulled, conflicts, failed } and the sync status.',
  ],
  options: { remote: { type: 'string' }, token: { type: 'string' }, watch: { type: 'boolean' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const url = stringOpt(args.values, 'remote') ?? ctx.io.env.SKEIN_REMOTE;
    const token = stringOpt(args.values, 'token') ?? ctx.io.env.SKEIN_TOKEN;
    if (!url) throw usageError('is required (or set SKEIN_REMOTE)', '--remote');
    if (!token) throw usageError('is required (or set SKEIN_TOKEN)', '--token');
    const store = await ctx.openStore({ remote: { url, token, autoStart: false } });
    const result = await store.sync.now();
    const status = store.sync.status();
    if (ctx.json) ctx.printJson({ ...result, status });
    else {
      ctx.print(`pushed ${result.pushed} ops, pulled ${result.pulled} ops, ${result.conflicts} conflicts merged, ${result.failed} threads failed`);
      for (const p of status.poisoned) ctx.print(`set aside ${p.id}: ${p.code}: ${p.message}`);
      if (status.lastError) ctx.print(`last error: ${status.lastError}`);
    }
    if (result.failed > 0 && !flag(args.values, 'watch')) throw new SkeinError(ErrorCode.NETWORK, status.lastError ?? 'some threads failed to sync', { details: { failed: result.failed } });
    if (flag(args.values, 'watch')) {
      store.sync.start({ live: true });
      ctx.print(`following ${url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  },
};
