/**
 * The viewer's server: time to first byte of a thread page (`/t/:id`) and of its newest page of
 * messages (the fragment the page's script pages with) on threads of 1,000 / 10,000 / 100,000
 * messages, over real HTTP on loopback against `skein ui`'s server. Baseline: the time to first
 * byte of a static asset from the same server (the HTTP floor), measured taking turns. Target:
 * flat (100k median within 1.5x of 1k) for both.
 */
import { request } from 'node:http';
import { openStore } from '../src/index.js';
import { startUiServer } from '../src/viewer/ui-server.js';
import { bigThreads } from './page.js';
import { now, progress, sampleTurns, scaled, stats, type BenchResult, type Benchmark, type ResultRow, type Stats } from './helpers.js';

/** Milliseconds until the response's first byte (its status line and headers) arrive; the body is drained. */
function ttfb(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request(url, (res) => {
      const ms = now() - t0;
      if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
      res.resume();
      res.on('end', () => resolve(ms));
    });
    req.on('error', reject);
    req.end();
  });
}

/** See the module comment. */
export const viewerBench: Benchmark = {
  name: 'viewer',
  title: 'viewer: time to first byte of a thread page and of its newest messages, 1k / 10k / 100k messages',
  async run(ctx): Promise<BenchResult> {
    const built = await bigThreads(ctx);
    const store = await openStore({ dir: built.dir, durability: 'normal' });
    const ui = await startUiServer({ store, port: 0 });
    const iterations = scaled(200, 10);
    const rows: ResultRow[] = [];
    const details: Record<string, unknown>[] = [];
    const by = new Map<number, { page: Stats; messages: Stats; floor: Stats }>();
    try {
      const asset = `${ui.url}ui/assets/style.css`;
      const urls = built.threads.map(({ id }) => ({ page: `${ui.url}t/${id}`, messages: `${ui.url}ui/t/${id}/messages` }));
      // Every size takes turns in one loop, so that warm-up and machine noise fall on all alike.
      const calls = [() => ttfb(asset), ...urls.flatMap((u) => [() => ttfb(u.page), () => ttfb(u.messages)])];
      progress('warming up');
      await sampleTurns(scaled(50, 5), calls);
      progress(`timing each thread page and newest page of messages, ${iterations} times, taking turns`);
      const [floor, ...samples] = (await sampleTurns(iterations, calls)).map(stats) as [Stats, ...Stats[]];
      for (const [i, { size }] of built.threads.entries()) {
        const page = samples[2 * i]!;
        const messages = samples[2 * i + 1]!;
        by.set(size, { page, messages, floor });
        rows.push({ metric: `thread page TTFB, ${size} msgs, median`, unit: 'ms', skein: page.median, baseline: floor.median, ratio: page.median / floor.median });
        rows.push({ metric: `newest messages TTFB, ${size} msgs, median`, unit: 'ms', skein: messages.median, baseline: floor.median, ratio: messages.median / floor.median });
        details.push({ size, iterations, page, messages, staticAsset: floor });
      }
      const small = by.get(built.threads[0]!.size)!;
      const big = by.get(built.threads.at(-1)!.size)!;
      const label = `${built.threads.at(-1)!.size} / ${built.threads[0]!.size} msgs`;
      for (const [what, key] of [['thread page', 'page'], ['newest messages', 'messages']] as const) {
        const flat = big[key].median / small[key].median;
        rows.push({ metric: `${what} TTFB median, ${label}`, unit: 'x', skein: flat, baseline: big.floor.median / small.floor.median, target: '<= 1.5', pass: flat <= 1.5 });
      }
    } finally {
      await ui.close();
      await store.close();
    }
    return { rows, details: { sizes: details } };
  },
};
