/**
 * The viewer's thread list: one page of 50 threads of 2,000 messages each, every message with
 * usage. Baseline: the same rows with `Store.usage` per row (the sums over each thread's message
 * rows, as the list computed them before the usage cache), taking turns in one process. Measured:
 * `listPage` when no thread changed since the last view (a reload, a page scrolled back, a row
 * re-rendered on a live change), and when one thread changed (one message appended between views).
 * The first view of a thread still sums its rows once (equal to the baseline).
 */
import { openStore, type ThreadID } from '../src/index.js';
import { kindOf } from '../src/store/policy.js';
import { listPage } from '../src/viewer/list.js';
import { progress, sampleTurns, scaled, stats, tempDir, type BenchResult, type Benchmark } from './helpers.js';

/** See the module comment. */
export const viewerListBench: Benchmark = {
  name: 'viewer-list',
  title: 'viewer: thread list page, 50 threads x 2,000 messages with usage',
  async run(): Promise<BenchResult> {
    const threads = 50;
    const perThread = scaled(2000, 100);
    const store = await openStore({ dir: tempDir('viewer-list'), durability: 'normal' });
    try {
      progress(`writing ${threads} threads of ${perThread} messages`);
      const ids: ThreadID[] = [];
      for (let t = 0; t < threads; t++) {
        const th = await store.createThread({ title: `thread ${t}` });
        ids.push(th.id);
        for (let b = 0; b < perThread; b += 500)
          await store.append(
            th.id,
            Array.from({ length: Math.min(500, perThread - b) }, (_, i) => ({ type: 'assistant:message' as const, message: { content: `message ${b + i}`, resourceUsage: { model: i % 3 ? 'model-a' : 'model-b', inputTokens: 100, outputTokens: 20, costUSD: 0.001 } } })),
          );
      }
      const baseline = async () => {
        const page = await store.listThreads({ limit: 50 });
        for (const info of page.threads) void { info, kind: kindOf(info), usage: await store.usage(info.id) };
      };
      const unchanged = () => listPage(store, {}, {});
      let n = 0;
      const oneChanged = async () => {
        await store.append(ids[n++ % ids.length]!, { type: 'assistant:message', message: { content: 'one more', resourceUsage: { model: 'model-a', costUSD: 0.001 } } });
        return listPage(store, {}, {});
      };
      await sampleTurns(3, [baseline, unchanged, oneChanged]);
      const rounds = scaled(30, 5);
      progress(`timing the list page ${rounds} times, taking turns with the baseline`);
      const [base, same, changed] = (await sampleTurns(rounds, [baseline, unchanged, oneChanged])).map(stats);
      return {
        rows: [
          { metric: `list page, ${threads} x ${perThread} msgs, nothing changed, median`, unit: 'ms', skein: same!.median, baseline: base!.median, ratio: same!.median / base!.median, target: '<= 0.2', pass: same!.median / base!.median <= 0.2 },
          { metric: `list page, ${threads} x ${perThread} msgs, one thread changed, median`, unit: 'ms', skein: changed!.median, baseline: base!.median, ratio: changed!.median / base!.median },
        ],
        details: { threads, perThread, rounds, baseline: base, unchanged: same, oneChanged: changed },
      };
    } finally {
      await store.close();
    }
  },
};
