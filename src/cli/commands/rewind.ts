import { expectPositionals, flag } from '../args.js';
import { parseThreadId } from '../../index.js';
import type { Command } from '../command.js';
import { reportRollback } from './rollback-report.js';

/** `skein rewind`: put files back as they were when a message was written. */
export const rewindCommand: Command = {
  name: 'rewind',
  summary: 'revert every file change made after a message',
  usage: 'skein rewind ID MESSAGE [--force]',
  details: [
    'reverts, newest first, the changes recorded from MESSAGE on (the changes made in answer to it and later)',
    '--force   also revert files changed since the agent wrote them',
    'the conversation is not changed; exits 1 when a file is left in conflict or cannot be reverted',
  ],
  options: { force: { type: 'boolean' } },
  async run(args, ctx) {
    const [rawId, messageId] = expectPositionals(args, ['thread ID', 'message ID']);
    const id = parseThreadId(rawId, 'ID');
    const store = await ctx.openStore();
    const { operations, ...result } = await store.files.rewind(id, { toMessageId: messageId!, force: flag(args.values, 'force') });
    reportRollback(ctx, result, { id, toMessageId: messageId, operations });
  },
};
