import { exportThreads } from '../../index.js';
import { choiceOpt, flag, threadIdArg, usageError } from '../args.js';
import type { Command } from '../command.js';

/** `skein export`: a thread (or its tree) as JSON, the lossless op log, Markdown, or the kept source records. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'export a thread (or its tree) as json, jsonl (lossless op log), markdown or raw source records',
  usage: 'skein export ID [--tree] --format json|jsonl|markdown|raw',
  details: [
    '--format json      the whole thread (with --tree: { threads: [...] })',
    '--format jsonl     the op log, one op a line: `skein import skein FILE` restores it exactly',
    '--format markdown  a readable transcript with tool calls, results and costs',
    '--format raw       the source records an import kept, as the agent wrote them',
    '--tree             include sub-agent and summary threads, recursively',
  ],
  options: { format: { type: 'string' }, tree: { type: 'boolean' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const format = choiceOpt(args.values, 'format', ['json', 'jsonl', 'markdown', 'raw'] as const);
    if (!format) throw usageError('is required: json, jsonl, markdown or raw', '--format');
    const store = await ctx.openStore();
    const out = ctx.io.stdout as { write(text: string): unknown; once?: (ev: string, fn: () => void) => unknown };
    for await (const chunk of exportThreads(store, id, { format, tree: flag(args.values, 'tree') })) {
      // Respect back-pressure on a pipe, so a large export never piles up in memory.
      if (out.write(chunk) === false && out.once) await new Promise<void>((r) => out.once!('drain', r));
    }
  },
};
