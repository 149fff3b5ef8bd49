/**
 * Search catch-up on SQLite: N messages appended without a search (default 100,000 x scale;
 * `SKEIN_BENCH_CATCHUP_N` sets N), then indexed on copies of that one store, taking turns: in
 * slices that yield to the event loop (as shipped) against the same work in one transaction
 * (the catch-up before slicing). Per run: CPU time (`process.cpuUsage`) and the longest gap
 * between `setImmediate` ticks, i.e. the longest the event loop was held.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, SqliteBackend, type ThreadID } from '../src/index.js';
import { SearchCatchUp } from '../src/store/sqlite/search-catch-up.js';
import { messageDeltas } from './fixtures.js';
import { now, progress, scaled, stats, tempDir, type BenchResult, type Benchmark } from './helpers.js';

const ROUNDS = 3;

/** Indexes a copy of `file` one way; answers its CPU ms and the longest event-loop block (ms). */
async function catchUp(file: string, sliced: boolean): Promise<{ cpuMs: number; blockMs: number }> {
  const copy = join(tempDir('catch-up-copy'), 'skein.db');
  copyFileSync(file, copy);
  const backend = new SqliteBackend(copy, { durability: 'normal' });
  let last = now();
  let block = 0;
  let stop = false;
  const tick = () => {
    block = Math.max(block, now() - last);
    last = now();
    if (!stop) setImmediate(tick);
  };
  await new Promise(setImmediate);
  const cpu = process.cpuUsage();
  last = now();
  setImmediate(tick);
  if (sliced) await backend.indexSearch();
  else backend.db.transaction(() => new SearchCatchUp(backend.db).now()).immediate();
  const used = process.cpuUsage(cpu);
  block = Math.max(block, now() - last);
  stop = true;
  await backend.close();
  return { cpuMs: (used.user + used.system) / 1000, blockMs: block };
}

export const searchCatchUpBench: Benchmark = {
  name: 'search-catch-up',
  title: 'search catch-up on SQLite: in slices vs one transaction (CPU, longest event-loop block)',
  async run(): Promise<BenchResult> {
    const n = process.env.SKEIN_BENCH_CATCHUP_N ? Number(process.env.SKEIN_BENCH_CATCHUP_N) : scaled(100_000, 2000);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error('SKEIN_BENCH_CATCHUP_N must be a positive integer');
    const dir = tempDir('catch-up');
    const store = await openStore({ dir, durability: 'normal' });
    progress(`appending ${n} messages, 500 per append`);
    let id: ThreadID | undefined;
    for (let i = 0; i < n; i += 500) {
      if (i % 1000 === 0) id = (await store.createThread({ title: `catch-up ${i}` })).id;
      await store.append(id!, messageDeltas(i, Math.min(500, n - i)));
    }
    await store.close();
    const runs = { sliced: [] as { cpuMs: number; blockMs: number }[], whole: [] as { cpuMs: number; blockMs: number }[] };
    for (let r = 0; r < ROUNDS; r++)
      for (const sliced of r % 2 === 0 ? [false, true] : [true, false]) runs[sliced ? 'sliced' : 'whole'].push(await catchUp(join(dir, 'skein.db'), sliced));
    const cpu = (k: 'sliced' | 'whole') => stats(runs[k].map((x) => x.cpuMs)).median;
    const block = (k: 'sliced' | 'whole') => stats(runs[k].map((x) => x.blockMs)).median;
    return {
      rows: [
        { metric: `search catch-up of ${n} messages: CPU, in slices (vs one transaction)`, unit: 'ms', skein: cpu('sliced'), baseline: cpu('whole'), ratio: cpu('sliced') / cpu('whole') },
        { metric: 'search catch-up: longest event-loop block, in slices (vs one transaction)', unit: 'ms', skein: block('sliced'), baseline: block('whole'), ratio: block('sliced') / block('whole') },
      ],
      details: { messages: n, rounds: ROUNDS, runs },
    };
  },
};
