/**
 * Thread length: does a message cost the same at 1,000, 10,000 and 100,000 messages? For two
 * conversations (tool-heavy: every assistant message makes a tool call that is never answered;
 * plain), a fresh store is filled to each size through `openStore` + `append` (batches of 500),
 * then single appends (each awaited) and the newest 50 (`loadPage`) are timed, taking turns with
 * the raw floor (one autocommitted INSERT per message into one table, WAL, same `synchronous`) at
 * the same size in the same run. Target: p50 at the largest size within 1.5x of the smallest.
 * Also the head's weight after many ops of one kind (head-growth.ts), and append and page cost
 * after many truncations (truncation-length.ts) and on a thread mentioned many times (mention-length.ts).
 *
 * Env: `SKEIN_BENCH_LENGTHS=1000,10000,100000` (sizes), `SKEIN_BENCH_CAP_S=120` (time cap of one
 * fill; a store that has not reached the size by then is measured where it stands and reported as
 * capped), `SKEIN_BENCH_DURABILITY=normal|full`.
 */
import { join } from 'node:path';
import { openStore, newThreadId } from '../src/index.js';
import { conversationDeltas, RawBaseline, type ConversationKind } from './fixtures.js';
import { headGrowthRows } from './head-growth.js';
import { mentionCostRows } from './mention-length.js';
import { truncationCostRows } from './truncation-length.js';
import { now, progress, sampleTurns, scaled, stats, tempDir, type BenchResult, type Benchmark, type ResultRow, type Stats } from './helpers.js';

const BATCH = 500;
const PAGE = 50;
const TARGET = 1.5;

/** Sizes from `SKEIN_BENCH_LENGTHS`, else 1k / 10k / 100k times the scale. */
export function lengthSizes(): number[] {
  const raw = process.env.SKEIN_BENCH_LENGTHS;
  if (!raw) return [1_000, 10_000, 100_000].map((n) => scaled(n, 2 * PAGE));
  const sizes = raw.split(',').map(Number);
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`SKEIN_BENCH_LENGTHS must be positive integers, got ${raw}`);
  return sizes;
}

function capMs(): number {
  const s = Number(process.env.SKEIN_BENCH_CAP_S ?? 120);
  if (!Number.isFinite(s) || s <= 0) throw new Error('SKEIN_BENCH_CAP_S must be a positive number of seconds');
  return s * 1000;
}

function durability(): 'normal' | 'full' {
  const d = process.env.SKEIN_BENCH_DURABILITY ?? 'normal';
  if (d !== 'normal' && d !== 'full') throw new Error('SKEIN_BENCH_DURABILITY must be normal or full');
  return d;
}

/** One conversation kind at one size. */
export interface LengthRun {
  kind: ConversationKind;
  size: number;
  /** Messages the thread held when measured (below `size` when the fill hit the cap). */
  reached: number;
  capped: boolean;
  fillSeconds: number;
  /** Bytes of the stored head (JSON) when measured. */
  headBytes: number;
  append: Stats;
  rawAppend: Stats;
  page: Stats;
  rawPage: Stats;
}

/** Fills a fresh store and raw table with `size` messages of `kind`, then times appends and pages. */
export async function lengthRun(kind: ConversationKind, size: number, opts: { capMs: number; durability: 'normal' | 'full'; samples: number }): Promise<LengthRun> {
  const dir = tempDir(`length-${kind}-${size}`);
  const store = await openStore({ dir, durability: opts.durability });
  const raw = new RawBaseline(join(dir, 'raw.db'), opts.durability);
  const rawId = newThreadId();
  try {
    const { id } = await store.createThread({ title: `${kind} ${size}` });
    const t0 = now();
    let reached = 0;
    let capped = false;
    while (reached < size) {
      if (now() - t0 > opts.capMs) {
        capped = true;
        break;
      }
      const deltas = conversationDeltas(kind, reached, Math.min(BATCH, size - reached));
      await store.append(id, deltas);
      raw.insertMany(rawId, deltas);
      reached += deltas.length;
    }
    const fillSeconds = (now() - t0) / 1000;
    let next = reached;
    const one = () => conversationDeltas(kind, next++, 1)[0]!;
    // The raw side appends the same message as skein's last one: both tables grow alike.
    let last = one();
    const appendSkein = async () => {
      last = one();
      await store.append(id, last);
    };
    const appendRaw = () => raw.insert(rawId, last);
    const warm = Math.max(5, Math.round(opts.samples / 10));
    await sampleTurns(warm, [appendSkein, appendRaw, () => store.loadPage(id, { limit: PAGE }), () => raw.page(rawId, PAGE)]);
    const [append, rawAppend] = (await sampleTurns(opts.samples, [appendSkein, appendRaw])).map(stats) as [Stats, Stats];
    const [page, rawPage] = (await sampleTurns(opts.samples, [() => store.loadPage(id, { limit: PAGE }), () => raw.page(rawId, PAGE)])).map(stats) as [
      Stats,
      Stats,
    ];
    const head = await store['core'].backend.getHead(id);
    return { kind, size, reached, capped, fillSeconds, headBytes: Buffer.byteLength(JSON.stringify(head)), append, rawAppend, page, rawPage };
  } finally {
    raw.close();
    await store.close();
  }
}

const k = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

function sizeLabel(r: LengthRun): string {
  return r.capped ? `${k(r.size)} (capped: ${r.reached} after ${r.fillSeconds.toFixed(0)} s)` : k(r.size);
}

/** Summary rows of runs of one kind: each size against the raw floor, then largest / smallest. */
export function lengthRows(runs: LengthRun[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const r of runs) {
    rows.push({ metric: `append p50, ${r.kind}, ${sizeLabel(r)}`, unit: 'ms', skein: r.append.median, baseline: r.rawAppend.median, ratio: r.append.median / r.rawAppend.median });
    rows.push({ metric: `newest ${PAGE} p50, ${r.kind}, ${sizeLabel(r)}`, unit: 'ms', skein: r.page.median, baseline: r.rawPage.median, ratio: r.page.median / r.rawPage.median });
    rows.push({ metric: `head bytes, ${r.kind}, ${sizeLabel(r)}`, unit: 'B', skein: r.headBytes });
  }
  const small = runs[0];
  const big = runs.at(-1);
  if (small && big && big !== small) {
    const label = `${k(big.size)} / ${k(small.size)}`;
    for (const [what, s, b] of [
      ['append p50', (r: LengthRun) => r.append.median, (r: LengthRun) => r.rawAppend.median],
      [`newest ${PAGE} p50`, (r: LengthRun) => r.page.median, (r: LengthRun) => r.rawPage.median],
    ] as const) {
      const ratio = s(big) / s(small);
      rows.push({
        metric: `${what}, ${big.kind}, ${label}${big.capped ? ' (capped)' : ''}`,
        unit: 'x',
        skein: ratio,
        baseline: b(big) / b(small),
        target: `<= ${TARGET}`,
        pass: !big.capped && ratio <= TARGET,
      });
    }
  }
  return rows;
}

export const lengthBench: Benchmark = {
  name: 'length',
  title: 'append and newest page against thread length, tool-heavy and plain, against the raw floor',
  async run(): Promise<BenchResult> {
    const sizes = lengthSizes();
    const opts = { capMs: capMs(), durability: durability(), samples: scaled(300, 30) };
    const rows: ResultRow[] = [];
    const runs: LengthRun[] = [];
    for (const kind of ['tool-heavy', 'plain'] as const) {
      const mine: LengthRun[] = [];
      for (const size of sizes) {
        progress(`${kind}: filling a thread to ${size} messages, then timing appends and pages`);
        const r = await lengthRun(kind, size, opts);
        mine.push(r);
        progress(`  append p50 ${r.append.median.toFixed(3)} ms (raw ${r.rawAppend.median.toFixed(3)}), page p50 ${r.page.median.toFixed(3)} ms, head ${r.headBytes} B${r.capped ? `, CAPPED at ${r.reached}` : ''}`);
      }
      rows.push(...lengthRows(mine));
      runs.push(...mine);
    }
    progress('head bytes after many ops of one kind (pure fold, no I/O)');
    rows.push(...headGrowthRows(scaled(2_000, 100)));
    rows.push(...(await truncationCostRows(scaled(10_000, 200), opts.samples)));
    rows.push(...(await mentionCostRows(scaled(10_000, 200), opts.samples)));
    rows.push(...(await mentionCostRows(scaled(10_000, 200), opts.samples, 'meta keys')));
    return { rows, details: { durability: opts.durability, capSeconds: opts.capMs / 1000, samples: opts.samples, runs } };
  },
};
