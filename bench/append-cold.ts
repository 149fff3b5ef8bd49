/**
 * Append on a cold store: what one `skein append` from a shell hook pays. A store opened afresh
 * (empty memory tier) appends one message to a short thread and to a long one; the long one must
 * cost what the short one costs, since an append answers the head and the ops, never the thread.
 * Measured two ways, alternating short and long: in this process (open, append, close: process
 * start aside) and as the real `skein append` in a new process (the built CLI).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { openStore, type ThreadID } from '../src/index.js';
import { messageDeltas } from './fixtures.js';
import { now, progress, scaled, stats, tempDir, type BenchResult, type Benchmark, type ResultRow, type Stats } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const TARGET = 1.5;

/** A store directory holding one thread of `count` messages; answers its id. */
async function seed(label: string, count: number): Promise<{ dir: string; id: ThreadID }> {
  const dir = tempDir(`append-cold-${label}`);
  const store = await openStore({ dir, durability: 'normal' });
  const t = await store.createThread({ title: `${count} messages` });
  for (let i = 0; i < count; i += 1000) await store.append(t.id, messageDeltas(i, Math.min(1000, count - i)));
  await store.close();
  return { dir, id: t.id };
}

/** One cold append in this process: open the store, append, close. */
async function inProcess(dir: string, id: ThreadID, i: number): Promise<number> {
  const t0 = now();
  const store = await openStore({ dir });
  await store.append(id, { type: 'user:message', message: { content: `cold append ${i}` } });
  await store.close();
  return now() - t0;
}

/** One `skein append` in a new process (wall time, process start included). */
function viaCli(dir: string, id: ThreadID, i: number): number {
  const t0 = now();
  execFileSync(process.execPath, [CLI, 'append', id, '--role', 'user', '--content', `cli append ${i}`, '--dir', dir, '--json'], { stdio: 'pipe' });
  return now() - t0;
}

export const appendColdBench: Benchmark = {
  name: 'append-cold',
  title: 'one append on a freshly opened store (cold memory tier): a long thread against a short one',
  async run(): Promise<BenchResult> {
    const long = scaled(100_000, 1000);
    progress(`seeding threads of 10 and ${long} messages`);
    const small = await seed('small', 10);
    const big = await seed('big', long);
    const rounds = 15;
    const samples = { small: [] as number[], big: [] as number[], cliSmall: [] as number[], cliBig: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ([small, big] as const) : ([big, small] as const);
      for (const s of order) (s === small ? samples.small : samples.big).push(await inProcess(s.dir, s.id, i));
    }
    for (let i = 0; i < 7; i++) {
      const order = i % 2 === 0 ? ([small, big] as const) : ([big, small] as const);
      for (const s of order) (s === small ? samples.cliSmall : samples.cliBig).push(viaCli(s.dir, s.id, i));
    }
    const st = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)])) as Record<keyof typeof samples, Stats>;
    const rows: ResultRow[] = [
      {
        metric: `cold append p50, ${long} msgs vs 10 (open + append + close)`,
        unit: 'ms',
        skein: st.big.median,
        baseline: st.small.median,
        ratio: st.big.median / st.small.median,
        target: `<= ${TARGET}`,
        pass: st.big.median / st.small.median <= TARGET,
      },
      {
        metric: `skein append p50 (new process), ${long} msgs vs 10`,
        unit: 'ms',
        skein: st.cliBig.median,
        baseline: st.cliSmall.median,
        ratio: st.cliBig.median / st.cliSmall.median,
        target: `<= ${TARGET}`,
        pass: st.cliBig.median / st.cliSmall.median <= TARGET,
      },
    ];
    return { rows, details: { long, stats: st } };
  },
};
