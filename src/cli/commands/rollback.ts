import { expectPositionals, flag } from '../args.js';
import { parseThreadId } from '../../index.js';
import type { Command } from '../command.js';
import { reportRollback } from './rollback-report.js';

/** `skein rollback`: undo the file changes of one operation. */
export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'revert the file changes of one operation (tool call)',
  usage: 'skein rollback ID OPERATION [--force]',
  details: [
    '--force   also revert files changed since the agent wrote them (otherwise: conflicts, left untouched)',
    'exits 1 when a file is left in conflict or cannot be reverted; running it again finishes an interrupted rollback',
  ],
  options: { force: { type: 'boolean' } },
  async run(args, ctx) {
    const [rawId, operationId] = expectPositionals(args, ['thread ID', 'operation ID']);
    const id = parseThreadId(rawId, 'ID');
    const store = await ctx.openStore();
    const result = await store.files.rollbackOperation(id, operationId!, { force: flag(args.values, 'force') });
    reportRollback(ctx, result, { id, operationId });
  },
};
