import { flag, stringOpt, threadIdArg, usageError } from '../args.js';
import type { Command } from '../command.js';
import type { Visibility } from '../../model/types.js';

/** `skein share ID --public|--workspace|--private`: sets who may see a thread on the server. */
export const shareCommand: Command = {
  name: 'share',
  summary: 'set who may see a thread on the server (private, workspace or public link)',
  usage: 'skein share ID --public|--workspace|--private [--remote URL] [--token T]',
  details: [
    '--public      anyone with the share link may read it (a new random link each time)',
    '--workspace   every token of the workspace (the default)',
    '--private     only tokens of the user who created it',
    '--remote URL  the server (default: $SKEIN_REMOTE); with a token ($SKEIN_TOKEN) the change is',
    '              synced at once, and the share link of a public thread is printed',
    'JSON: { id, visibility, v, shareId?, url?, synced }.',
  ],
  options: {
    public: { type: 'boolean' },
    workspace: { type: 'boolean' },
    private: { type: 'boolean' },
    remote: { type: 'string' },
    token: { type: 'string' },
  },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const chosen = (['public', 'workspace', 'private'] as const).filter((v) => flag(args.values, v));
    if (chosen.length !== 1) throw usageError('give exactly one of --public, --workspace, --private', '--public');
    const visibility: Visibility = chosen[0]!;
    const url = stringOpt(args.values, 'remote') ?? ctx.io.env.SKEIN_REMOTE;
    const token = stringOpt(args.values, 'token') ?? ctx.io.env.SKEIN_TOKEN;
    const store = await ctx.openStore(url && token ? { remote: { url, token, autoStart: false } } : {});
    const thread = await store.setVisibility(id, visibility);
    let synced = false;
    if (url && token) {
      const r = await store.sync.now();
      synced = r.failed === 0;
    }
    const link = thread.shareId !== undefined && url ? `${url.replace(/\/+$/, '')}/s/${thread.shareId}` : undefined;
    if (ctx.json) {
      ctx.printJson({ id, visibility, v: thread.v, ...(thread.shareId !== undefined && { shareId: thread.shareId }), ...(link && { url: link }), synced });
      return;
    }
    if (link) ctx.print(link);
    else ctx.print(`${id} ${visibility}${thread.shareId !== undefined ? ` (share id ${thread.shareId}; give --remote to print the link)` : ''}`);
    if (url && token && !synced) ctx.print('not synced yet: run skein sync');
  },
};
