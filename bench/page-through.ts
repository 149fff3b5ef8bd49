/**
 * Child process of the memory benchmark: opens a store and reads one thread, sampling RSS, then
 * prints one JSON line. Usage: `node --import tsx bench/page-through.ts <dir> <threadId> [--whole|--idle]`.
 * Default: pages from the newest message to the oldest with `before` cursors, 50 at a time;
 * `--whole`: loads the thread at once with getThread; `--idle`: only opens the store. Run with
 * `--expose-gc` to also report the heap still in use after a full collection.
 */
import { openStore, parseThreadId } from '../src/index.js';
import { now, RssSampler } from './helpers.js';

/** What the child prints. */
export interface PageThroughReport {
  mode: 'page' | 'whole' | 'idle';
  messages: number;
  pages: number;
  ms: number;
  /** RSS right after opening the store, before reading. */
  openRss: number;
  peakRss: number;
  /** Heap still in use after a full collection, before the store closes (needs `--expose-gc`). */
  retainedHeap?: number;
}

async function main(): Promise<void> {
  const [dir, rawId, flag] = process.argv.slice(2);
  if (!dir || !rawId) throw new Error('usage: page-through.ts <dir> <threadId> [--whole|--idle]');
  const mode = flag === '--whole' ? 'whole' : flag === '--idle' ? 'idle' : 'page';
  const id = parseThreadId(rawId);
  const store = await openStore({ dir });
  const sampler = new RssSampler(5);
  const openRss = sampler.peak;
  const t0 = now();
  let messages = 0;
  let pages = 0;
  if (mode === 'whole') {
    messages = (await store.getThread(id))!.messages.length;
    pages = 1;
    sampler.sample();
  } else if (mode === 'page') {
    let page = await store.loadPage(id, { limit: 50 });
    for (;;) {
      messages += page.messages.length;
      pages++;
      sampler.sample();
      const oldest = page.messages[0];
      if (!page.hasMore || !oldest) break;
      page = await store.loadPage(id, { limit: 50, before: oldest.id });
    }
  }
  const ms = now() - t0;
  const peakRss = sampler.stop();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retainedHeap = gc ? process.memoryUsage().heapUsed : undefined;
  await store.close();
  const report: PageThroughReport = { mode, messages, pages, ms, openRss, peakRss, ...(retainedHeap !== undefined && { retainedHeap }) };
  console.log(JSON.stringify(report));
}

await main();
