import type { ThreadUsage } from '../../index.js';
import { expectPositionals, flag, intOpt } from '../args.js';
import type { Command } from '../command.js';
import { formatCount, table } from '../output.js';

/** Bytes as `1.2 MiB`. */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

const total = (t: ThreadUsage) => t.opsBytes + t.fileBytes + t.archiveBytes;

/** `skein du`: where the store's bytes go. */
export const duCommand: Command = {
  name: 'du',
  summary: 'bytes by thread and kind, file content and archive savings',
  usage: 'skein du [--top N | --all]',
  details: [
    '--top N   the N largest threads (default 20)',
    '--all     every thread',
    'FILES counts every recorded before and after whole; the store keeps each content once, compressed',
  ],
  options: { top: { type: 'string' }, all: { type: 'boolean' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const top = flag(args.values, 'all') ? Infinity : (intOpt(args.values, 'top', { min: 0 }) ?? 20);
    const store = await ctx.openStore();
    const du = await store.diskUsage();
    if (ctx.json) {
      ctx.printJson(du);
      return;
    }
    const right = { align: 'right' } as const;
    const shown = [...du.threads].sort((a, b) => total(b) - total(a)).slice(0, top);
    if (shown.length > 0) {
      ctx.print(
        ...table(
          [{ header: 'THREAD' }, { header: 'KIND' }, { header: 'STATE' }, { header: 'OPS', ...right }, { header: 'FILES', ...right }, { header: 'ARCHIVE', ...right }],
          shown.map((t) => [t.id, t.kind, t.archived ? 'archived' : 'active', formatBytes(t.opsBytes), formatBytes(t.fileBytes), formatBytes(t.archiveBytes)]),
        ),
      );
      if (shown.length < du.threads.length) ctx.print(`(${du.threads.length - shown.length} smaller threads not shown; --all shows every one)`);
      ctx.print('');
    }
    ctx.print(
      ...table(
        [{ header: 'KIND' }, { header: 'THREADS', ...right }, { header: 'OPS', ...right }, { header: 'FILES', ...right }, { header: 'ARCHIVE', ...right }],
        Object.entries(du.byKind).map(([k, v]) => [k, formatCount(v.threads), formatBytes(v.opsBytes), formatBytes(v.fileBytes), formatBytes(v.archiveBytes)]),
      ),
    );
    const b = du.blobs;
    ctx.print(
      '',
      `file contents: ${formatCount(b.count)} stored, ${formatBytes(b.storedBytes)} (kept whole: ${formatBytes(b.wholeBytes)};` +
        ` saved by dedupe ${formatBytes(b.savedByDedupe)}, by compression ${formatBytes(b.savedByCompression)})`,
    );
    if (b.unreferencedBytes > 0) ctx.print(`  ${formatBytes(b.unreferencedBytes)} belong to archived threads only`);
    const a = du.archive;
    ctx.print(`archive: ${formatCount(a.entries)} entries, ${formatBytes(a.bytes)} (${formatBytes(a.uncompressedBytes)} uncompressed; saved ${formatBytes(a.saved)})`);
    if (a.corrupted.length > 0) ctx.print(`  unreadable entries: ${a.corrupted.join(', ')}`);
  },
};
