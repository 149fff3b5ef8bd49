/**
 * Runs the benchmarks (`npm run bench`), prints each one's rows and a final summary table, and
 * saves the figures to bench/results/latest.json.
 * Usage: `node --import tsx bench/run.ts [--only NAME[,NAME...]]`; `SKEIN_BENCH_SCALE=0.1` shrinks every size.
 */
import { cpus, loadavg } from 'node:os';
import { appendBench } from './append.js';
import { appendColdBench } from './append-cold.js';
import { bytesBench } from './bytes.js';
import { memoryBench } from './memory.js';
import { pageBench } from './page.js';
import { filesBench } from './files.js';
import { syncBench } from './sync.js';
import { searchBench } from './search.js';
import { searchCatchUpBench } from './search-catch-up.js';
import { importBench } from './import.js';
import { viewerBench } from './viewer.js';
import { viewerListBench } from './viewer-list.js';
import { lengthBench } from './thread-length.js';
import { BenchContext, SCALE, now, removeTempDirs, resultTable, saveResults, type Benchmark, type ResultRow } from './helpers.js';

const BENCHMARKS: Benchmark[] = [appendBench, appendColdBench, bytesBench, pageBench, lengthBench, memoryBench, filesBench, syncBench, searchBench, searchCatchUpBench, importBench, viewerBench, viewerListBench];

function selected(argv: string[]): Benchmark[] {
  const i = argv.indexOf('--only');
  if (i < 0) return BENCHMARKS;
  const names = (argv[i + 1] ?? '').split(',');
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`--only takes names, comma-separated, of: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  return BENCHMARKS.filter((b) => names.includes(b.name));
}

async function main(): Promise<void> {
  const benches = selected(process.argv.slice(2));
  const ctx = new BenchContext();
  const all: ResultRow[] = [];
  const results: Record<string, unknown> = {};
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`skein benchmarks, scale ${SCALE}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${load()}`);
  try {
    for (const b of benches) {
      console.log(`\n== ${b.name}: ${b.title}`);
      const t0 = now();
      const r = await b.run(ctx);
      const seconds = (now() - t0) / 1000;
      console.log(`\n${resultTable(r.rows)}\n(${seconds.toFixed(1)} s)`);
      all.push(...r.rows);
      results[b.name] = { ...r, seconds, loadAfter: load() };
    }
  } finally {
    removeTempDirs();
  }
  console.log(`\n== summary\n${resultTable(all)}`);
  const missed = all.filter((r) => r.pass === false).length;
  console.log(missed === 0 ? '\nall targets met' : `\n${missed} target(s) missed`);
  console.log(`saved ${saveResults('latest.json', { loadAtEnd: load(), summary: all, benchmarks: results })}`);
}

await main();
