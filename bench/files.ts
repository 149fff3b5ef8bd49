/**
 * File changes and lifecycle (issue "Files and lifecycle"):
 * - record and roll back 1,000 changes of ~10 KB files (250 files edited in 4 rounds, one
 *   operation per round; each round is then rolled back, newest first);
 * - bytes kept for those changes (deduplicated, compressed) against every before and after whole;
 * - archive and restore 10,000 threads, with a progress bar.
 * Everything runs at the store's default durability (`full`); only the seeding of threads uses
 * `normal`. Figures are informational (no targets). Standalone: `node --import tsx bench/files.ts`.
 */
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type ArchiveProgress, type Delta, type ThreadID } from '../src/index.js';
import { rng } from './fixtures.js';
import { fmt, mib, now, progress, removeTempDirs, resultTable, scaled, stats, table, tempDir, type BenchResult, type Benchmark, type ResultRow } from './helpers.js';

const ROUNDS = 4;

/** ~10 KB of source-like text. */
function sourceFile(file: number, rand: () => number): string[] {
  const lines: string[] = [`// module ${file}`, `import { helper${file % 17} } from './helpers.js';`, ''];
  while (lines.join('\n').length < 10_000) {
    const n = lines.length;
    lines.push(`export function f${file}_${n}(x: number, y: number): number {`);
    lines.push(`  const k = ${Math.floor(rand() * 1e6)} * x + ${Math.floor(rand() * 1000)} * y;`);
    lines.push(`  return helper${file % 17}(k) > ${Math.floor(rand() * 100)} ? k : -k;`, '}', '');
  }
  return lines;
}

/** An agent's edit: a few lines changed, one added. */
function edit(lines: string[], round: number, rand: () => number): string[] {
  const out = [...lines];
  for (let i = 0; i < 3; i++) {
    const at = 3 + Math.floor(rand() * (out.length - 3));
    out[at] = `  // round ${round}: ${Math.floor(rand() * 1e9).toString(36)}`;
  }
  out.push(`// edited in round ${round}`);
  return out;
}

function bar(p: ArchiveProgress | { done: number; total: number }, label: string): void {
  const width = 30;
  const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
  const line = `  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
  else if (p.done === p.total || p.done % Math.max(1, Math.ceil(p.total / 10)) < 64) process.stderr.write(`${line}\n`);
}

async function recordAndRollback(rows: ResultRow[], details: Record<string, unknown>): Promise<void> {
  const files = scaled(250, 10);
  const dir = tempDir('files-store');
  const ws = tempDir('files-ws');
  mkdirSync(join(ws, 'src'));
  const store = await openStore({ dir, workspace: ws });
  const thread = await store.createThread({ title: 'files benchmark' });
  const rand = rng(42);
  const states: string[][] = [];
  const contents: string[] = [];
  for (let f = 0; f < files; f++) {
    const lines = sourceFile(f, rand);
    states.push(lines);
    const text = lines.join('\n');
    contents.push(text);
    writeFileSync(join(ws, `src/m${f}.ts`), text);
  }
  const original = [...contents];
  progress(`recording ${files * ROUNDS} changes of ~10 KB files (${files} files x ${ROUNDS} rounds)`);
  const recordMs: number[] = [];
  let naiveBytes = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    await store.append(thread.id, { type: 'user:message', message: { content: `round ${round}` } });
    for (let f = 0; f < files; f++) {
      states[f] = edit(states[f]!, round, rand);
      const next = states[f]!.join('\n');
      const t0 = now();
      await store.files.recordFileChange(thread.id, `round-${round}`, { path: `src/m${f}.ts`, type: 'modify', newContent: next });
      recordMs.push(now() - t0);
      naiveBytes += Buffer.byteLength(contents[f]!) + Buffer.byteLength(next);
      writeFileSync(join(ws, `src/m${f}.ts`), next);
      contents[f] = next;
    }
  }
  const du = await store.diskUsage();
  progress(`rolling back ${ROUNDS} operations of ${files} changes, newest first`);
  const rollbackMs: number[] = [];
  for (let round = ROUNDS; round >= 1; round--) {
    const t0 = now();
    const r = await store.files.rollbackOperation(thread.id, `round-${round}`);
    rollbackMs.push(now() - t0);
    if (r.reverted.length !== files || r.conflicts.length + r.failed.length > 0) throw new Error(`round ${round}: ${JSON.stringify(r).slice(0, 300)}`);
  }
  for (let f = 0; f < files; f++) if (readFileSync(join(ws, `src/m${f}.ts`), 'utf8') !== original[f]) throw new Error(`src/m${f}.ts not restored`);
  await store.close();

  const changes = files * ROUNDS;
  const rec = stats(recordMs);
  const totalRollback = rollbackMs.reduce((a, b) => a + b, 0);
  rows.push(
    { metric: 'recordFileChange, ~10 KB file, median', skein: rec.median, unit: 'ms' },
    { metric: 'recordFileChange, ~10 KB file, p99', skein: rec.p99, unit: 'ms' },
    { metric: `roll back ${changes} changes (${ROUNDS} operations)`, skein: totalRollback, unit: 'ms' },
    { metric: 'roll back, per file reverted', skein: totalRollback / changes, unit: 'ms' },
    { metric: 'file bytes kept / every before+after whole', skein: du.blobs.storedBytes / naiveBytes, unit: 'ratio' },
  );
  details.files = {
    changes,
    recordMs: rec,
    rollbackMsPerOperation: rollbackMs,
    bytes: {
      wholeBeforeAndAfter: naiveBytes,
      distinctRaw: du.blobs.wholeBytes - du.blobs.savedByDedupe,
      stored: du.blobs.storedBytes,
      savedByDedupe: du.blobs.savedByDedupe,
      savedByCompression: du.blobs.savedByCompression,
    },
  };
  console.log(
    table(
      ['bytes for the changes', 'bytes', 'MiB'],
      [
        ['every before and after whole', String(naiveBytes), fmt(mib(naiveBytes))],
        ['distinct contents (dedupe)', String(du.blobs.wholeBytes - du.blobs.savedByDedupe), fmt(mib(du.blobs.wholeBytes - du.blobs.savedByDedupe))],
        ['stored (dedupe + gzip)', String(du.blobs.storedBytes), fmt(mib(du.blobs.storedBytes))],
      ],
    ),
  );
}

async function archiveAndRestore(rows: ResultRow[], details: Record<string, unknown>): Promise<void> {
  const count = scaled(10_000, 50);
  const dir = tempDir('archive');
  let clock = Date.UTC(2024, 0, 1);
  const seed = await openStore({ dir, durability: 'normal', now: () => clock });
  progress(`seeding ${count} threads of 6 messages`);
  const ids: ThreadID[] = [];
  for (let i = 0; i < count; i++) {
    clock += 10;
    const th = await seed.createThread({ title: `thread ${i}` });
    const deltas: Delta[] = [];
    for (let m = 0; m < 3; m++) {
      deltas.push({ type: 'user:message', message: { content: `Please change function f${i}_${m} so that it handles negative input and add a test.` } });
      deltas.push({
        type: 'assistant:message',
        message: {
          content: `Done: f${i}_${m} now clamps negative input to zero; I added a test case covering -1, 0 and 1.`,
          resourceUsage: { model: 'model-a', inputTokens: 1200 + m, outputTokens: 300, costUSD: 0.004 },
        },
      });
    }
    await seed.append(th.id, deltas);
    ids.push(th.id);
    if (i % 1000 === 999) bar({ done: i + 1, total: count }, 'seed   ');
  }
  await seed.close();
  clock += 31 * 86_400_000;

  const store = await openStore({ dir, now: () => clock });
  const activeBytes = (await store.diskUsage()).byKind.main.opsBytes;
  progress(`archiving ${count} threads`);
  let t0 = now();
  const result = await store.archiveInactiveThreads({ onProgress: (p) => bar(p, 'archive') });
  const archiveMs = now() - t0;
  if (result.archived.length !== count) throw new Error(`archived ${result.archived.length} of ${count}: ${JSON.stringify(result.skipped.slice(0, 3))}`);
  const du = await store.diskUsage();

  progress(`restoring ${count} threads`);
  t0 = now();
  for (let i = 0; i < ids.length; i++) {
    await store.restoreThread(ids[i]!);
    if ((i + 1) % 64 === 0 || i + 1 === ids.length) bar({ done: i + 1, total: ids.length }, 'restore');
  }
  const restoreMs = now() - t0;
  await store.close();

  rows.push(
    { metric: `archive ${count} threads`, skein: archiveMs / 1000, unit: 's' },
    { metric: 'archive, per thread', skein: archiveMs / count, unit: 'ms' },
    { metric: `restore ${count} threads`, skein: restoreMs / 1000, unit: 's' },
    { metric: 'restore, per thread', skein: restoreMs / count, unit: 'ms' },
    { metric: 'archive bytes / op log JSON', skein: du.archive.bytes / activeBytes, unit: 'ratio' },
  );
  details.archive = { threads: count, archiveMs, restoreMs, opLogJsonBytes: activeBytes, archive: du.archive };
}

/** The benchmark, for bench/run.ts. */
export const filesBench: Benchmark = {
  name: 'files',
  title: 'file changes (record, roll back, bytes kept) and archive/restore of threads',
  async run(): Promise<BenchResult> {
    const rows: ResultRow[] = [];
    const details: Record<string, unknown> = {};
    await recordAndRollback(rows, details);
    await archiveAndRestore(rows, details);
    return { rows, details };
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const r = await filesBench.run(undefined as never);
    console.log(`\n${resultTable(r.rows)}`);
    console.log(JSON.stringify(r.details, null, 2));
  } finally {
    removeTempDirs();
  }
}
