/**
 * Link-heavy and meta-heavy threads: does an append cost the same on a thread mentioned N times
 * (N `mention:link` ops, one per message of another thread that names it), or with N meta keys,
 * as on a plain one? The threads are filled
 * in one fresh SQLite store (the plain one gets N messages instead, so both logs are as long); then
 * single appends (a prompt, a reply) are timed, the two threads taking turns: through the memory
 * tier (the default store) and reading the stored head every time (`cacheSize: 0`, what a server
 * does). The stored head keeps the first few links of each list and meta keys only
 * (model/bounded-links.ts, model/bounded-meta.ts); before, it carried every one (~40 B a link,
 * ~115 B a key).
 */
import { newThreadId, openStore, type Delta, type Store, type ThreadID } from '../src/index.js';
import { progress, sampleTurns, stats, tempDir, type ResultRow } from './helpers.js';

const TARGET = 1.1;

type Heavy = 'mentioned' | 'meta keys';

function filler(kind: Heavy | 'plain', i: number): Delta {
  if (kind === 'mentioned') return { type: 'mention:link', threadId: newThreadId(), messageId: `m${i}` };
  if (kind === 'meta keys') return { type: 'meta:set', key: `key-${i}`, value: i };
  return { type: 'user:message', message: { content: `filler ${i}` } };
}

async function fill(store: Store, id: ThreadID, n: number, kind: Heavy | 'plain'): Promise<void> {
  let batch: Delta[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(filler(kind, i));
    if (batch.length >= 500) {
      await store.append(id, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.append(id, batch);
}

/** Rows: prompt + reply append p50 on a thread mentioned `n` times (or with `n` meta keys) against a plain thread of as many ops. */
export async function mentionCostRows(n: number, samples: number, heavy: Heavy = 'mentioned'): Promise<ResultRow[]> {
  progress(`${heavy === 'mentioned' ? 'link' : 'meta'}-heavy threads: a thread ${heavy === 'mentioned' ? `mentioned ${n} times` : `with ${n} meta keys`} and a plain one, then timing appends`);
  const dir = tempDir(heavy === 'mentioned' ? 'mentions' : 'meta');
  const filling = await openStore({ dir, durability: 'normal' });
  const plain = (await filling.createThread({ title: 'plain' })).id;
  const mentioned = (await filling.createThread({ title: heavy })).id;
  await fill(filling, plain, n, 'plain');
  await fill(filling, mentioned, n, heavy);
  await filling.close();
  const rows: ResultRow[] = [];
  for (const [label, cacheSize] of [['through the memory tier', undefined], ['head read every time', 0]] as const) {
    const store = await openStore({ dir, durability: 'normal', ...(cacheSize !== undefined && { cacheSize }) });
    try {
      let i = 0;
      const turn = (id: ThreadID) => async () => {
        const k = i++;
        await store.append(id, { type: 'user:message', message: { content: `more ${k}` } });
        await store.append(id, { type: 'assistant:message', message: { content: `answer ${k}` } });
      };
      await sampleTurns(Math.max(5, Math.round(samples / 10)), [turn(plain), turn(mentioned)]);
      const [p, m] = (await sampleTurns(samples, [turn(plain), turn(mentioned)])).map(stats);
      const ratio = m!.median / p!.median;
      rows.push({
        metric: `prompt + reply append p50, thread ${heavy === 'mentioned' ? `mentioned ${n.toLocaleString('en-US')} times` : `with ${n.toLocaleString('en-US')} meta keys`}, ${label} (baseline: plain thread)`,
        unit: 'ms',
        skein: m!.median,
        baseline: p!.median,
        ratio,
        target: `<= ${TARGET}`,
        pass: ratio <= TARGET,
      });
    } finally {
      await store.close();
    }
  }
  return rows;
}
