/**
 * What every benchmark shares: the size scale, temp directories, timing with median and
 * percentiles, RSS sampling, and the result rows and table that `run.ts` prints.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** `SKEIN_BENCH_SCALE` (default 1): multiplies every size and iteration count, for a quick check. */
export const SCALE = parseScale(process.env.SKEIN_BENCH_SCALE);

function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`SKEIN_BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

/** `n` times the scale, never below `min`. */
export function scaled(n: number, min = 10): number {
  return Math.max(min, Math.round(n * SCALE));
}

/** A fresh directory under the OS temp dir; {@link removeTempDirs} deletes every one made. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `skein-bench-${label}-`));
  made.push(dir);
  return dir;
}

const made: string[] = [];

/** Deletes the directories {@link tempDir} made (also on failure: run.ts calls it in `finally`). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Milliseconds, high resolution. */
export const now = (): number => performance.now();

/** Runs `fn` `times` times and returns each call's duration in ms. */
export async function sampleMs(times: number, fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = new Array<number>(times);
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn(i);
    out[i] = performance.now() - t0;
  }
  return out;
}

/**
 * Times several calls taking turns, one of each per round, `rounds` times: each call's durations
 * in ms. Taking turns spreads the noise of a shared machine evenly over the calls compared.
 */
export async function sampleTurns(rounds: number, fns: (() => unknown)[]): Promise<number[][]> {
  const out = fns.map(() => new Array<number>(rounds));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < fns.length; j++) {
      const t0 = performance.now();
      await fns[j]!();
      out[j]![i] = performance.now() - t0;
    }
  }
  return out;
}

/** Summary of timing samples in ms. */
export interface Stats {
  n: number;
  median: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** The `p`-th percentile (0..100) of ascending `sorted`, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median, p99, mean, min and max of samples. */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n: s.length, median: percentile(s, 50), p99: percentile(s, 99), mean: sum / s.length, min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

/** Samples this process's RSS on a timer, keeping the peak; `sample()` adds a reading between ticks. */
export class RssSampler {
  peak = 0;
  readings = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 5) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): number {
    const rss = process.memoryUsage().rss;
    this.readings++;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  /** Stops sampling and returns the peak in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** One line of the summary table. `ratio` is skein / baseline unless a row says otherwise. */
export interface ResultRow {
  metric: string;
  skein: number;
  baseline?: number;
  ratio?: number;
  /** The target as printed, e.g. `>= 0.33`; absent for rows that only inform. */
  target?: string;
  /** Absent for rows that only inform. */
  pass?: boolean;
  unit?: string;
}

/** What a benchmark returns: summary rows and free-form details for the JSON file. */
export interface BenchResult {
  rows: ResultRow[];
  details: Record<string, unknown>;
}

/** Formats a number for the table: integers with thousands separators, small values to 3 significant digits. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

/** Renders rows (arrays of cells) as an aligned text table with a header rule. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary table of result rows. */
export function resultTable(rows: ResultRow[]): string {
  return table(
    ['metric', 'skein', 'baseline', 'ratio', 'target', 'result'],
    rows.map((r) => [
      r.unit ? `${r.metric} (${r.unit})` : r.metric,
      fmt(r.skein),
      fmt(r.baseline),
      r.ratio === undefined ? '-' : r.ratio.toFixed(2),
      r.target ?? '-',
      r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL',
    ]),
  );
}

/** Bytes as MiB. */
export const mib = (bytes: number): number => bytes / (1024 * 1024);

/** Prints a progress line to stderr (stdout keeps the tables). */
export function progress(msg: string): void {
  process.stderr.write(`  .. ${msg}\n`);
}

/** What run.ts hands every benchmark: a memo, so that one benchmark can reuse what another built. */
export class BenchContext {
  private readonly memos = new Map<string, Promise<unknown>>();

  /** The value under `key`, made once by `make`. */
  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) this.memos.set(key, (p = make()));
    return p;
  }

  /** Stores a value another benchmark may pick up with {@link memo}. */
  put<T>(key: string, value: T): void {
    this.memos.set(key, Promise.resolve(value));
  }
}

/** A benchmark: run.ts runs it and prints its rows. */
export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/**
 * Writes a result file under bench/results/ with what the machine was (scale, node, platform,
 * CPUs) before `fields`, and returns its path.
 */
export function saveResults(file: string, fields: Record<string, unknown>): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = {
    date: new Date().toISOString(),
    scale: SCALE,
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    ...fields,
  };
  writeFileSync(`${dir}${file}`, JSON.stringify(out, null, 2) + '\n');
  return `${dir}${file}`;
}
