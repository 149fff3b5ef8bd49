/**
 * Newest page: `loadPage(id, { limit: 50 })` on threads of 1,000 / 10,000 / 100,000 messages,
 * against the same query on the raw table. Target: flat (100k median within 1.5x of 1k) and a
 * median under 1 ms. Also pages before cursors deep in the thread, and deep offsets.
 */
import { join } from 'node:path';
import { openStore, type ThreadID } from '../src/index.js';
import { messageDeltas, RawBaseline } from './fixtures.js';
import { now, progress, sampleMs, sampleTurns, scaled, stats, tempDir, type BenchContext, type BenchResult, type Benchmark, type ResultRow, type Stats } from './helpers.js';

/** A store holding one thread per size, and the raw table holding the same messages. */
export interface BigThreads {
  dir: string;
  rawFile: string;
  threads: { size: number; id: ThreadID }[];
  /** Messages per second appended while building, batches of {@link BATCH}. */
  buildPerSec: number;
}

const SIZES = [1_000, 10_000, 100_000];
const BATCH = 500;
const PAGE = 50;
const DEPTHS = [0.1, 0.5, 0.9];

/** Builds (once per run) the threads, appending in batches of 500 deltas with durability `normal`. */
export function bigThreads(ctx: BenchContext): Promise<BigThreads> {
  return ctx.memo('page:threads', async () => {
    const dir = tempDir('threads');
    const rawFile = join(dir, 'raw.db');
    const raw = new RawBaseline(rawFile, 'normal');
    const store = await openStore({ dir, durability: 'normal' });
    const threads: BigThreads['threads'] = [];
    let buildMs = 0;
    for (const size of SIZES.map((s) => scaled(s, 2 * PAGE))) {
      progress(`building a thread of ${size} messages`);
      const { id } = await store.createThread({ title: `${size} messages` });
      for (let start = 0; start < size; start += BATCH) {
        const deltas = messageDeltas(start, Math.min(BATCH, size - start));
        const t0 = now();
        await store.append(id, deltas);
        buildMs += now() - t0;
        raw.insertMany(id, deltas);
      }
      threads.push({ size, id });
    }
    await store.close();
    raw.close();
    const total = threads.reduce((n, t) => n + t.size, 0);
    return { dir, rawFile, threads, buildPerSec: (total / buildMs) * 1000 };
  });
}

function ms(s: Stats): { median: number; p99: number; mean: number } {
  return { median: s.median, p99: s.p99, mean: s.mean };
}

export const pageBench: Benchmark = {
  name: 'page',
  title: 'loadPage: the newest 50, 50 before cursors at several depths, deep offsets',
  async run(ctx): Promise<BenchResult> {
    const built = await bigThreads(ctx);
    const store = await openStore({ dir: built.dir, durability: 'normal' });
    const raw = new RawBaseline(built.rawFile, 'normal');
    const iterations = scaled(1_000, 20);
    const rows: ResultRow[] = [];
    const details: Record<string, unknown>[] = [];
    const newest = new Map<number, { skein: Stats; raw: Stats }>();
    try {
      // Warm up first, so that the first size measured does not also pay for the JIT.
      for (const { id } of built.threads) await sampleTurns(200, [() => store.loadPage(id, { limit: PAGE }), () => raw.page(id, PAGE)]);
      progress(`timing the newest page of each thread, ${iterations} times, taking turns`);
      const calls = built.threads.flatMap(({ id }) => [() => store.loadPage(id, { limit: PAGE }), () => raw.page(id, PAGE)]);
      const samples = (await sampleTurns(iterations, calls)).map(stats);
      built.threads.forEach(({ size }, i) => newest.set(size, { skein: samples[2 * i]!, raw: samples[2 * i + 1]! }));
      for (const { size, id } of built.threads) {
        progress(`paging the ${size}-message thread from cursors`);
        const rawIds = raw.ids(id);
        const { skein: skeinNewest, raw: rawNewest } = newest.get(size)!;
        rows.push({
          metric: `newest page, ${size} msgs, median`,
          unit: 'ms',
          skein: skeinNewest.median,
          baseline: rawNewest.median,
          ratio: skeinNewest.median / rawNewest.median,
          target: '< 1 ms',
          pass: skeinNewest.median < 1,
        });
        rows.push({ metric: `newest page, ${size} msgs, p99`, unit: 'ms', skein: skeinNewest.p99, baseline: rawNewest.p99, ratio: skeinNewest.p99 / rawNewest.p99 });

        const cursors: Record<string, unknown>[] = [];
        for (const depth of DEPTHS) {
          // depth counts back from the newest message: 0.9 is near the oldest.
          const offset = Math.floor(size * depth);
          const at = (await store.loadPage(id, { limit: 1, offset })).messages[0]!;
          const rawAt = rawIds[size - 1 - offset]!;
          const [skeinBefore, rawBefore] = (
            await sampleTurns(iterations, [() => store.loadPage(id, { limit: PAGE, before: at.id }), () => raw.page(id, PAGE, rawAt)])
          ).map(stats) as [Stats, Stats];
          const offsetRuns = Math.max(10, Math.round(iterations / 10));
          const skeinOffset = stats(await sampleMs(offsetRuns, () => store.loadPage(id, { limit: PAGE, offset })));
          cursors.push({ depth, offset, before: ms(skeinBefore), rawBefore: ms(rawBefore), offsetPage: ms(skeinOffset) });
          rows.push({
            metric: `before cursor ${offset} from newest, ${size} msgs, median`,
            unit: 'ms',
            skein: skeinBefore.median,
            baseline: rawBefore.median,
            ratio: skeinBefore.median / rawBefore.median,
          });
          if (depth === DEPTHS.at(-1))
            rows.push({ metric: `offset ${offset}, ${size} msgs, median`, unit: 'ms', skein: skeinOffset.median });
        }
        details.push({ size, iterations, newest: ms(skeinNewest), rawNewest: ms(rawNewest), cursors });
      }
      const biggest = built.threads.at(-1)!;
      // Last, because it adds a message: the first append after opening pays for the memory tier.
      const cold = await sampleMs(1, () => store.append(biggest.id, messageDeltas(biggest.size, 1)));
      const warm = stats(await sampleMs(20, (i) => store.append(biggest.id, messageDeltas(biggest.size + 1 + i, 1))));
      rows.push({ metric: `build, append batches of ${BATCH}`, unit: 'msgs/s', skein: built.buildPerSec });
      rows.push({ metric: `first append after open, ${biggest.size} msgs`, unit: 'ms', skein: cold[0]! });
      rows.push({ metric: `next appends, ${biggest.size} msgs, median`, unit: 'ms', skein: warm.median });
      details.push({ buildPerSec: built.buildPerSec, coldAppendMs: cold[0], warmAppend: ms(warm) });

      const small = newest.get(built.threads[0]!.size)!;
      const big = newest.get(built.threads.at(-1)!.size)!;
      const flat = big.skein.median / small.skein.median;
      rows.push({
        metric: `newest page median, ${built.threads.at(-1)!.size} / ${built.threads[0]!.size} msgs`,
        unit: 'x',
        skein: flat,
        baseline: big.raw.median / small.raw.median,
        target: '<= 1.5',
        pass: flat <= 1.5,
      });
    } finally {
      raw.close();
      await store.close();
    }
    return { rows, details: { sizes: details } };
  },
};
