import { join } from 'node:path';
import { expectPositionals, flag, intOpt, stringOpt } from '../args.js';
import type { Command } from '../command.js';
import { openServerStorage } from '../../server/open-storage.js';
import { startServer } from '../../server/node.js';
import { seedDemoWorkspace } from '../demo-server.js';

/** `skein serve`: the sync server, until SIGINT or SIGTERM. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the sync server (embedded SQLite by default, or PostgreSQL)',
  usage: 'skein serve [--data DIR | --db postgres://... [--schema S]] [--port N] [--host H] [--demo]',
  details: [
    '--data DIR     embedded SQLite data directory (default: <store dir>/server)',
    '--db URL       PostgreSQL connection string instead of SQLite',
    '--schema S     PostgreSQL schema (default skein)',
    '--port N       port to listen on (default 7420; 0 picks a free one)',
    '--host H       address to listen on (default 127.0.0.1)',
    '--max-body N   largest request body in bytes (default 8388608)',
    '--max-pull-bytes N  byte cap of one pull page (default 4194304; a larger op goes alone)',
    '--demo         seed a "demo" workspace with a demo session and print a token for it',
    'Prints the URL on its first line once it listens (JSON: { url, storage, token?, signInUrl? }); the web viewer is at /.',
  ],
  options: {
    data: { type: 'string' },
    db: { type: 'string' },
    schema: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'max-body': { type: 'string' },
    'max-pull-bytes': { type: 'string' },
    demo: { type: 'boolean' },
  },
  async run(args, ctx) {
    expectPositionals(args, []);
    const port = intOpt(args.values, 'port', { max: 65535 }) ?? 7420;
    const maxBodyBytes = intOpt(args.values, 'max-body', { min: 1024 });
    const maxPullBytes = intOpt(args.values, 'max-pull-bytes', { min: 1 });
    const db = stringOpt(args.values, 'db');
    const schema = stringOpt(args.values, 'schema');
    const storage = await openServerStorage(db !== undefined ? { db, ...(schema !== undefined && { schema }) } : { data: stringOpt(args.values, 'data') ?? join(ctx.dir, 'server') });
    let token: string | undefined;
    if (flag(args.values, 'demo')) token = await seedDemoWorkspace(storage);
    const server = await startServer({ storage, port, host: stringOpt(args.values, 'host') ?? '127.0.0.1', ...(maxBodyBytes !== undefined && { maxBodyBytes }), ...(maxPullBytes !== undefined && { maxPullBytes }) });
    // The first line is the URL to open: with --demo, one that signs the browser in to the demo workspace.
    const signIn = token && `${server.url}/signin?token=${encodeURIComponent(token)}`;
    if (ctx.json) ctx.printJson({ url: server.url, storage: storage.description, ...(token && { token, workspace: 'demo', signInUrl: signIn }) });
    else if (signIn) {
      ctx.print(signIn, `skein server listening on ${server.url} (${storage.description}); open the URL above to see the demo threads`);
      ctx.print(`demo workspace token: ${token}`, `try: curl -H "Authorization: Bearer ${token}" ${server.url}/v1/threads`);
    } else ctx.print(`${server.url}/`, `skein server listening on ${server.url} (${storage.description}); the viewer asks for a workspace token (skein token create --workspace NAME)`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  },
};
