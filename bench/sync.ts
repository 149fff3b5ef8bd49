/**
 * The sync benchmarks, each against a naive baseline in the same run: transfer (push T threads x
 * 100 messages and pull them on a fresh device, then an incremental append, in time and bytes on
 * the wire), live latency (a push on one device to the other device's writer `observe`), and
 * appends per second through one server with 8 device processes, on SQLite and PostgreSQL, and
 * through 1, 2 and 4 server processes on one PostgreSQL.
 * Standalone: `node --import tsx bench/sync.ts [--only transfer|live|throughput|scaleout]` prints the table
 * and writes bench/results/sync.json; `SKEIN_BENCH_SCALE=0.1` shrinks every size.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { SCALE, now, removeTempDirs, resultTable, saveResults, type BenchResult, type Benchmark, type ResultRow } from './helpers.js';
import { liveBench } from './sync-live.js';
import { scaleOutBench } from './sync-scaleout.js';
import { throughputBench } from './sync-throughput.js';
import { transferBench } from './sync-transfer.js';

const PARTS = ['transfer', 'live', 'throughput', 'scaleout'] as const;
type Part = (typeof PARTS)[number];

async function runParts(parts: readonly Part[]): Promise<BenchResult> {
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const part of parts) {
    const t0 = now();
    const r = part === 'transfer' ? await transferBench() : part === 'live' ? await liveBench() : part === 'throughput' ? await throughputBench() : await scaleOutBench();
    rows.push(...r.rows);
    details[part] = { ...r.figures, seconds: (now() - t0) / 1000 };
  }
  return { rows, details };
}

export const syncBench: Benchmark = {
  name: 'sync',
  title: 'sync: transfer and bytes, live latency, appends per second through one server',
  run: () => runParts(PARTS),
};

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--only');
  const only = i < 0 ? undefined : argv[i + 1];
  if (only !== undefined && !PARTS.includes(only as Part)) throw new Error(`--only takes one of: ${PARTS.join(', ')}`);
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadBefore = load();
  console.log(`skein sync benchmarks, scale ${SCALE}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadBefore}`);
  const t0 = now();
  let result: BenchResult;
  try {
    result = await runParts(only ? [only as Part] : PARTS);
  } finally {
    removeTempDirs();
  }
  const seconds = (now() - t0) / 1000;
  console.log(`\n${resultTable(result.rows)}\n(${seconds.toFixed(1)} s)`);
  const saved = saveResults('sync.json', {
    /** Load averages (1, 5, 15 min) before and after: other work on the machine skews the times. */
    load: { before: loadBefore, after: load() },
    seconds,
    summary: result.rows,
    details: result.details,
  });
  console.log(`saved ${saved}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
