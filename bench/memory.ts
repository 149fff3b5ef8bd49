/**
 * Memory: a fresh child process pages through the largest thread from newest to oldest with
 * `before` cursors, 50 at a time, sampling RSS; compared with a child that loads the thread
 * whole with getThread, and one that only opens the store. Target: paging peaks below the whole load.
 * Peak RSS also holds garbage V8 has not collected yet; the heap in use after a full GC shows
 * what is really kept.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bigThreads } from './page.js';
import type { PageThroughReport } from './page-through.js';
import { mib, progress, type BenchResult, type Benchmark } from './helpers.js';

const CHILD = fileURLToPath(new URL('./page-through.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function child(dir: string, threadId: string, flag?: '--whole' | '--idle'): Promise<PageThroughReport> {
  const args = ['--expose-gc', '--import', 'tsx', CHILD, dir, threadId, ...(flag ? [flag] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as PageThroughReport;
}

export const memoryBench: Benchmark = {
  name: 'memory',
  title: 'peak RSS paging through the largest thread in a fresh process',
  async run(ctx): Promise<BenchResult> {
    const built = await bigThreads(ctx);
    const { size, id } = built.threads.at(-1)!;
    progress(`paging through ${size} messages in a child process`);
    const idle = await child(built.dir, id, '--idle');
    const paged = await child(built.dir, id);
    progress(`loading ${size} messages whole in a child process`);
    const whole = await child(built.dir, id, '--whole');
    if (paged.messages !== whole.messages || paged.messages < size)
      throw new Error(`paging saw ${paged.messages} messages and getThread ${whole.messages}, expected ${size} or more`);
    const ratio = paged.peakRss / whole.peakRss;
    return {
      rows: [
        { metric: `peak RSS, page through ${size} msgs vs getThread`, unit: 'MiB', skein: mib(paged.peakRss), baseline: mib(whole.peakRss), ratio, target: '< 1', pass: ratio < 1 },
        { metric: 'RSS growth over an idle store, paging vs getThread', unit: 'MiB', skein: mib(paged.peakRss - idle.peakRss), baseline: mib(whole.peakRss - idle.peakRss) },
        { metric: 'heap in use after a full GC, paging vs getThread', unit: 'MiB', skein: mib(paged.retainedHeap ?? NaN), baseline: mib(whole.retainedHeap ?? NaN) },
        { metric: `time to read all ${size} msgs, paging vs getThread`, unit: 'ms', skein: paged.ms, baseline: whole.ms, ratio: paged.ms / whole.ms },
      ],
      details: { size, idle, paged, whole },
    };
  },
};
