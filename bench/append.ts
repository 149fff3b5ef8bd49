/**
 * Append: messages written one at a time with `store.append` (each resolves after its commit)
 * against one autocommitted INSERT per message into the raw table, at the same durability.
 * Target: skein at least half the raw rate. Beside it, for information, the layout floor: the
 * same commits' SQL with no skein JavaScript (layout-floor.ts), the best ratio the schema allows.
 */
import { join } from 'node:path';
import { openStore, newThreadId, type Delta } from '../src/index.js';
import { messageDeltas, RawBaseline } from './fixtures.js';
import { LayoutFloor } from './layout-floor.js';
import { now, progress, scaled, tempDir, type BenchContext, type BenchResult, type Benchmark, type ResultRow } from './helpers.js';

/** The databases one append run leaves behind, for the bytes-on-disk benchmark. */
export interface AppendDatabases {
  skeinFile: string;
  rawFile: string;
  messages: number;
}

/** One run at one durability: rates in messages per second, and where the databases are. */
export interface AppendRun extends AppendDatabases {
  durability: 'full' | 'normal';
  skeinPerSec: number;
  rawPerSec: number;
  /** The layout floor's rate: skein's commits replayed as bare SQL. */
  floorPerSec: number;
}

/** Issue 9: durable appends at half the raw floor or better, at the same synchronous level. */
const TARGET = 0.5;
const CHUNK = 250;

/**
 * Appends `count` messages one at a time to a fresh skein store and a fresh raw table. The two
 * take turns in chunks (alternating who goes first), so that both see the same disk conditions:
 * fsync times on a shared machine drift by several times within a minute. After each skein chunk
 * the layout floor replays the rows that chunk wrote.
 */
export async function appendRun(durability: 'full' | 'normal', count: number): Promise<AppendRun> {
  const deltas = messageDeltas(0, count);
  const rawFile = join(tempDir(`raw-${durability}`), 'raw.db');
  const raw = new RawBaseline(rawFile, durability);
  const rawThread = newThreadId();
  const dir = tempDir(`append-${durability}`);
  const store = await openStore({ dir, durability });
  const thread = await store.createThread({ title: 'append benchmark' });
  const floor = new LayoutFloor(join(tempDir(`floor-${durability}`), 'floor.db'), durability, join(dir, 'skein.db'));

  let rawMs = 0;
  let skeinMs = 0;
  let floorMs = 0;
  const runRaw = (chunk: Delta[]) => {
    const t0 = now();
    for (const d of chunk) raw.insert(rawThread, d);
    rawMs += now() - t0;
  };
  const runSkein = async (chunk: Delta[]) => {
    const t0 = now();
    for (const d of chunk) await store.append(thread.id, d);
    skeinMs += now() - t0;
    const rows = floor.newRows();
    const t1 = now();
    floor.replay(rows);
    floorMs += now() - t1;
  };
  for (let start = 0, turn = 0; start < count; start += CHUNK, turn++) {
    const chunk = deltas.slice(start, start + CHUNK);
    if (turn % 2 === 0) {
      runRaw(chunk);
      await runSkein(chunk);
    } else {
      await runSkein(chunk);
      runRaw(chunk);
    }
  }
  raw.close();
  await store.close();
  await floor.close();

  return {
    durability,
    messages: count,
    skeinPerSec: (count / skeinMs) * 1000,
    rawPerSec: (count / rawMs) * 1000,
    floorPerSec: (count / floorMs) * 1000,
    skeinFile: join(dir, 'skein.db'),
    rawFile,
  };
}

/**
 * The databases of an append run: the `full` one of this run's append benchmark, else a fresh run
 * at durability `normal` (quicker, and the bytes written do not depend on durability).
 */
export function appendDatabases(ctx: BenchContext): Promise<AppendDatabases> {
  return ctx.memo('append:dbs', () => appendRun('normal', scaled(10_000)));
}

export const appendBench: Benchmark = {
  name: 'append',
  title: 'append one message at a time, each awaited until committed',
  async run(ctx): Promise<BenchResult> {
    const count = scaled(10_000);
    const rows: ResultRow[] = [];
    const runs: AppendRun[] = [];
    for (const durability of ['full', 'normal'] as const) {
      progress(`append ${count} messages, durability ${durability}`);
      const r = await appendRun(durability, count);
      runs.push(r);
      if (durability === 'full') ctx.put<AppendDatabases>('append:dbs', r);
      const ratio = r.skeinPerSec / r.rawPerSec;
      rows.push({
        metric: `append, durability ${durability}`,
        unit: 'msgs/s',
        skein: r.skeinPerSec,
        baseline: r.rawPerSec,
        ratio,
        target: `>= ${TARGET}`,
        pass: ratio >= TARGET,
      });
      rows.push({ metric: `layout floor (the commits' SQL, no skein JS), durability ${durability}`, unit: 'msgs/s', skein: r.floorPerSec, baseline: r.rawPerSec, ratio: r.floorPerSec / r.rawPerSec });
    }
    return { rows, details: { messages: count, runs: runs.map(({ durability, skeinPerSec, rawPerSec, floorPerSec }) => ({ durability, skeinPerSec, rawPerSec, floorPerSec })) } };
  },
};
