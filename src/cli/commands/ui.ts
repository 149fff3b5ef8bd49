import { expectPositionals, intOpt } from '../args.js';
import type { Command } from '../command.js';
import { startUiServer } from '../../viewer/ui-server.js';

/** `skein ui`: the web viewer over the local store, until SIGINT or SIGTERM. */
export const uiCommand: Command = {
  name: 'ui',
  summary: 'browse the local store in a web browser (127.0.0.1 only)',
  usage: 'skein ui [--port N]',
  details: [
    '--port N   port to listen on (default 7421; 0 picks a free one)',
    'Prints the URL to open on its first line (JSON: { url }); live: writes by any process show within a second.',
  ],
  options: { port: { type: 'string' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const port = intOpt(args.values, 'port', { max: 65535 }) ?? 7421;
    const store = await ctx.openStore();
    const ui = await startUiServer({ store, port, name: ctx.dir });
    if (ctx.json) ctx.printJson({ url: ui.url });
    else ctx.print(ui.url, `skein ui: the viewer of ${ctx.dir} (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await ui.close();
  },
};
