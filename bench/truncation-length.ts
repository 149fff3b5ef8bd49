/**
 * Truncation-heavy threads: does an append (and the newest page) cost the same after N
 * truncations as after 10? A thread of rounds "prompt, reply, the reply truncated" (an edited
 * prompt, a rewound step) is filled to 10 and to N rounds in fresh SQLite stores; then single
 * appends (a prompt, a reply under it) and the newest 50 are timed, the two stores taking turns.
 * The stored head keeps the newest hidden ranges only (model/hidden.ts); before, it carried one per
 * truncation.
 */
import { openStore, type Delta, type Store, type ThreadID } from '../src/index.js';
import { progress, sampleTurns, stats, tempDir, type ResultRow } from './helpers.js';

const TARGET = 1.5;

async function filled(rounds: number): Promise<{ store: Store; id: ThreadID }> {
  const store = await openStore({ dir: tempDir(`truncations-${rounds}`), durability: 'normal' });
  const { id } = await store.createThread({ title: `${rounds} truncations` });
  let batch: Delta[] = [];
  for (let i = 0; i < rounds; i++) {
    batch.push(
      { type: 'user:message', message: { id: `u${i}`, content: `prompt ${i}` } },
      { type: 'assistant:message', message: { id: `a${i}`, content: `reply ${i}` } },
      { type: 'thread:truncate', fromMessageId: `a${i}` },
    );
    if (batch.length >= 600) {
      await store.append(id, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.append(id, batch);
  return { store, id };
}

/** Rows: append and newest-page p50 after `n` truncations against after 10 (the baseline). */
export async function truncationCostRows(n: number, samples: number): Promise<ResultRow[]> {
  progress(`truncation-heavy threads: filling to 10 and ${n} truncations, then timing appends and pages`);
  const small = await filled(10);
  const big = await filled(n);
  try {
    let i = 0;
    const turn = (t: { store: Store; id: ThreadID }) => async () => {
      const k = i++;
      await t.store.append(t.id, { type: 'user:message', message: { content: `more ${k}` } });
      await t.store.append(t.id, { type: 'assistant:message', message: { content: `answer ${k}` } });
    };
    const page = (t: { store: Store; id: ThreadID }) => () => t.store.loadPage(t.id, { limit: 50 });
    await sampleTurns(Math.max(5, Math.round(samples / 10)), [turn(small), turn(big), page(small), page(big)]);
    const [aSmall, aBig] = (await sampleTurns(samples, [turn(small), turn(big)])).map(stats);
    const [pSmall, pBig] = (await sampleTurns(samples, [page(small), page(big)])).map(stats);
    const label = `${n.toLocaleString('en-US')} truncations (baseline: 10)`;
    const row = (what: string, s: number, b: number): ResultRow => ({ metric: `${what} p50 after ${label}`, unit: 'ms', skein: s, baseline: b, ratio: s / b, target: `<= ${TARGET}`, pass: s / b <= TARGET });
    return [row('prompt + reply append', aBig!.median, aSmall!.median), row('newest 50', pBig!.median, pSmall!.median)];
  } finally {
    await small.store.close();
    await big.store.close();
  }
}

