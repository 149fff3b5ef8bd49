/**
 * Import: throughput of `importTranscripts` on generated Claude Code JSONL, in MB/s, against a
 * baseline run in the same process on the same files: stream the lines, JSON.parse each, and one
 * raw better-sqlite3 INSERT per record (committed every 1,000 records, WAL, synchronous FULL like
 * the store). Target >= 0.5x. Then the peak RSS of a child process importing a large folder
 * (SKEIN_BENCH_IMPORT_MB, default 500 MB x scale): memory must follow the largest record, not the
 * folder.
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importTranscripts, openStore } from '../src/index.js';
import { writeSession } from '../test/helpers/cc-generate.js';
import { SCALE, mib, now, progress, scaled, tempDir, type BenchResult, type Benchmark } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./import-child.ts', import.meta.url));
// The large import runs under this V8 heap cap: finishing at all shows memory does not grow with the folder.
const HEAP_CAP_MB = 160;

/** Writes `sessions` generated sessions of `turns` turns under a projects folder; answers the folder, files and bytes. */
export function generateFolder(dir: string, sessions: number, turns: number): { dir: string; files: string[]; bytes: number } {
  const project = join(dir, 'projects', '-home-dev-bench');
  mkdirSync(project, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < sessions; i++) {
    const id = `${(0x10000000 + i).toString(16)}-0000-4000-8000-000000000000`;
    const file = join(project, `${id}.jsonl`);
    bytes += writeSession(file, id, turns);
    files.push(file);
  }
  return { dir: join(dir, 'projects'), files, bytes };
}

interface Db {
  pragma(s: string): unknown;
  exec(s: string): void;
  prepare(s: string): { run(...a: unknown[]): unknown };
  close(): void;
}

async function baseline(dir: string, files: string[]): Promise<number> {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => Db;
  const db = new Sqlite(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE records (id INTEGER PRIMARY KEY, file TEXT, uuid TEXT, body TEXT)');
  const insert = db.prepare('INSERT INTO records (file, uuid, body) VALUES (?, ?, ?)');
  const t0 = now();
  let n = 0;
  db.exec('BEGIN');
  for (const file of files)
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (!line) continue;
      const rec = JSON.parse(line) as { uuid?: string };
      insert.run(file, rec.uuid ?? null, line);
      if (++n % 1000 === 0) {
        db.exec('COMMIT');
        db.exec('BEGIN');
      }
    }
  db.exec('COMMIT');
  const ms = now() - t0;
  db.close();
  return ms;
}

export const importBench: Benchmark = {
  name: 'import',
  title: 'import throughput (Claude Code JSONL) vs parse + raw INSERT, and peak RSS on a large folder',
  async run(): Promise<BenchResult> {
    const dir = tempDir('import');
    const sessions = scaled(8, 2);
    const gen = generateFolder(dir, sessions, 1500);
    progress(`generated ${sessions} sessions, ${mib(gen.bytes).toFixed(1)} MiB`);
    const baseMs = await baseline(dir, gen.files);
    const store = await openStore({ dir: join(dir, 'store') });
    // Time spent inside the store's append, to tell the importer's own cost from the store's.
    let appendMs = 0;
    const append = store.append.bind(store);
    store.append = (async (...args: Parameters<typeof append>) => {
      const a = now();
      try {
        return await append(...args);
      } finally {
        appendMs += now() - a;
      }
    }) as typeof store.append;
    const t0 = now();
    const r = await importTranscripts(store, { source: 'claude-code', paths: [gen.dir] });
    const ms = now() - t0;
    await store.close();
    const mbs = gen.bytes / 1e6 / (ms / 1000);
    const baseMbs = gen.bytes / 1e6 / (baseMs / 1000);
    progress(`imported ${r.messages} messages in ${ms.toFixed(0)} ms; baseline ${baseMs.toFixed(0)} ms`);

    const bigMb = Number(process.env.SKEIN_BENCH_IMPORT_MB ?? 500 * SCALE);
    const big = tempDir('import-big');
    // sessions of ~8 MB each, as long-running real sessions are
    const perSession = 8;
    const bigGen = generateFolder(big, Math.max(1, Math.round(bigMb / perSession)), 2000);
    progress(`importing ${mib(bigGen.bytes).toFixed(0)} MiB in a child process`);
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', `--max-old-space-size=${HEAP_CAP_MB}`, '--import', 'tsx', CHILD, join(big, 'store'), bigGen.dir], { cwd: ROOT, maxBuffer: 1 << 20 });
    const child = JSON.parse(stdout.trim().split('\n').at(-1)!) as { peakRss: number; idleRss: number; heapAfterGc: number; ms: number; messages: number };
    const ratio = mbs / baseMbs;
    return {
      rows: [
        { metric: `import ${mib(gen.bytes).toFixed(0)} MiB of Claude Code JSONL vs parse + INSERT per record`, unit: 'MB/s', skein: mbs, baseline: baseMbs, ratio, target: '>= 0.5', pass: ratio >= 0.5 },
        { metric: `share of the import spent in store.append (the rest is reading, mapping and imports.db)`, unit: '%', skein: (100 * appendMs) / ms },
        // What the store's append alone allows: the ratio an importer costing nothing would reach.
        { metric: `store.append alone vs parse + INSERT per record (the ceiling of the first ratio)`, unit: 'MB/s', skein: gen.bytes / 1e6 / (appendMs / 1000), baseline: baseMbs, ratio: baseMs / appendMs },
        { metric: `peak RSS importing ${mib(bigGen.bytes).toFixed(0)} MiB (${bigGen.files.length} files) vs an idle store`, unit: 'MiB', skein: mib(child.peakRss), baseline: mib(child.idleRss) },
        { metric: `heap in use after a full GC at the end (V8 heap capped at ${HEAP_CAP_MB} MB)`, unit: 'MiB', skein: mib(child.heapAfterGc) },
        { metric: `throughput on the large folder`, unit: 'MB/s', skein: bigGen.bytes / 1e6 / (child.ms / 1000) },
      ],
      details: { bytes: gen.bytes, sessions, messages: r.messages, ms, baseMs, appendMs, big: { bytes: bigGen.bytes, files: bigGen.files.length, ...child } },
    };
  },
};
