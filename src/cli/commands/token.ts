import { join } from 'node:path';
import { expectPositionals, stringOpt, usageError } from '../args.js';
import type { Command } from '../command.js';
import { openServerStorage } from '../../server/open-storage.js';

/** `skein token create`: a token for a workspace of the sync server. */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'create an access token for a server workspace',
  usage: 'skein token create --workspace W [--user NAME] [--data DIR | --db postgres://... [--schema S]]',
  details: [
    '--workspace W  the workspace the token reads and writes (created on first use)',
    '--user NAME    the user the token acts as: private threads are seen only by their creator\'s tokens',
    '               (without it, the token is a user of its own)',
    '--data / --db  the server storage, as given to skein serve (with --schema for PostgreSQL)',
    'The token is printed once; the server keeps only its hash. JSON: { token, workspace, user? }.',
  ],
  options: { workspace: { type: 'string' }, user: { type: 'string' }, data: { type: 'string' }, db: { type: 'string' }, schema: { type: 'string' } },
  async run(args, ctx) {
    const [verb] = expectPositionals(args, ['create']);
    if (verb !== 'create') throw usageError(`unknown token command ${JSON.stringify(verb)} (expected: create)`);
    const workspace = stringOpt(args.values, 'workspace');
    if (workspace === undefined) throw usageError('is required', '--workspace');
    const db = stringOpt(args.values, 'db');
    const schema = stringOpt(args.values, 'schema');
    const storage = await openServerStorage(db !== undefined ? { db, ...(schema !== undefined && { schema }) } : { data: stringOpt(args.values, 'data') ?? join(ctx.dir, 'server') });
    try {
      const user = stringOpt(args.values, 'user');
      const token = await storage.createToken(workspace, user);
      if (ctx.json) ctx.printJson({ token, workspace, ...(user !== undefined && { user }) });
      else ctx.print(token);
    } finally {
      await storage.close();
    }
  },
};
