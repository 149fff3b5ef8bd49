import { importTranscripts, watchTranscripts, type ImportProgress, type ImportResult, type SearchIndexProgress } from '../../index.js';
import { flag, usageError } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { formatCount, plural } from '../output.js';

const IMPORT_CACHE_SIZE = 2;
const SOURCES = ['claude-code', 'codex', 'opencode', 'cline', 'amp', 'skein'];

function progressLine(p: ImportProgress, startedAt: number): string {
  const secs = Math.max(0.001, (Date.now() - startedAt) / 1000);
  const mbs = p.bytesDone / 1e6 / secs;
  return `files ${formatCount(p.filesDone)}/${formatCount(p.filesTotal)} · ${mbs.toFixed(1)} MB/s · ${plural(p.threads, 'thread')} · ${plural(p.messages, 'message')}`;
}

function indexLine(p: SearchIndexProgress): string {
  return `indexing for search · ${Math.floor((p.done / p.total) * 100)}% · ${formatCount(p.done)}/${formatCount(p.total)}`;
}

function summary(r: ImportResult): string {
  const t = r.threads;
  return `${plural(r.messages, 'message')} imported: ${formatCount(t.created)} new, ${formatCount(t.updated)} updated, ${formatCount(t.unchanged)} unchanged threads${
    r.skipped.length ? `; ${plural(r.skipped.length, 'record')} skipped` : ''
  }`;
}

function printResult(ctx: CliContext, r: ImportResult, oneLine: boolean): void {
  if (ctx.json) {
    ctx.io.stdout.write(JSON.stringify(r, null, oneLine ? undefined : 2) + '\n');
    return;
  }
  ctx.print(summary(r));
  for (const s of r.skipped.slice(0, 20)) ctx.io.stderr.write(`skipped ${s.file}${s.line ? `:${s.line}` : ''}: ${s.reason}\n`);
  if (r.skipped.length > 20) ctx.io.stderr.write(`... and ${r.skipped.length - 20} more (see --json)\n`);
}

/** `skein import`: brings an agent's transcripts into the store, once or live. */
export const importCommand: Command = {
  name: 'import',
  summary: "import an agent's transcripts (claude-code, codex, opencode, cline, amp, skein)",
  usage: 'skein import SOURCE [PATH...] [--watch]',
  details: [
    'SOURCE         claude-code (~/.claude/projects), codex (~/.codex/sessions), opencode (its storage folder or opencode.db),',
    '               cline (its tasks/ folder), amp (~/.local/share/amp/threads), skein (a file of skein export --format jsonl)',
    'PATH           files or folders (default: the agent\'s own folders)',
    '--watch        keep following the folders: new records are appended as the agent writes them (Ctrl-C stops)',
    'Importing again is safe: records already imported are never added twice.',
  ],
  options: { watch: { type: 'boolean' } },
  async run(args, ctx) {
    const [source, ...paths] = args.positionals;
    if (source === undefined) throw usageError(`missing SOURCE (one of ${SOURCES.join(', ')})`);
    if (!SOURCES.includes(source)) throw usageError(`unknown source ${JSON.stringify(source)}: one of ${SOURCES.join(', ')}`);
    // The memory tier keeps whole threads; an import touches many big ones once, so keep few.
    const store = await ctx.openStore({ create: true, cacheSize: IMPORT_CACHE_SIZE });
    const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true && !ctx.json;
    const startedAt = Date.now();
    const onProgress = tty ? (p: ImportProgress) => ctx.io.stderr.write(`\r\x1b[K${progressLine(p, startedAt)}`) : undefined;
    // Another import of the source into this store runs first (one at a time); say why nothing moves.
    const onWait = (h: { pid: number; host: string }) => ctx.io.stderr.write(`waiting for another import of ${source} into this store (process ${h.pid} on ${h.host}) to finish\n`);
    const base = { source: source as 'claude-code', paths, env: ctx.io.env, onWait, ...(onProgress && { onProgress }) };
    if (!flag(args.values, 'watch')) {
      const r = await importTranscripts(store, base);
      // Index what was imported for search now (SQLite leaves it to the next search otherwise).
      const onIndex = tty ? (p: SearchIndexProgress) => ctx.io.stderr.write(`\r\x1b[K${indexLine(p)}`) : undefined;
      await store.indexSearch({ ...(onIndex && { onProgress: onIndex }) });
      if (tty) ctx.io.stderr.write('\r\x1b[K');
      printResult(ctx, r, false);
      return;
    }
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await watchTranscripts(store, {
        ...base,
        signal: ac.signal,
        onRound: (r) => {
          if (tty) ctx.io.stderr.write('\r\x1b[K');
          printResult(ctx, r, true);
        },
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
