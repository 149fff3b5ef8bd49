/**
 * Contract tests of a thread's meta keys beside its head (model/bounded-meta.ts): the head a
 * backend stores keeps at most MAX_META keys with their writers however many a thread sets;
 * `threadMeta` keeps every key once (value, `null` once deleted, writer), in the order first set;
 * a key the head does not show is still last-writer-wins.
 */
import assert from 'node:assert/strict';
import { completeOp, foldOps } from '../model/apply.js';
import { MAX_META, withAllMeta } from '../model/bounded-meta.js';
import type { Delta, Op, ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import { batchFromOps, storedLookup } from '../store/batch.js';
import { T0, appendOps, seedThread, snapshot, viewRows, type ContractTest } from './contract-fixtures.js';

const key = (i: number) => `k${String(i).padStart(3, '0')}`;

/** A thread with `n` meta keys set one commit each (k000 first: it sorts first), the last one deleted. */
async function metaThread(b: StorageBackend, n: number): Promise<{ id: ThreadID; ops: Op[] }> {
  const { id, ops } = await seedThread(b, [], { meta: { created: { nested: [1, 2.5, 'x'] } } });
  let now = T0;
  for (let i = 0; i < n; i++) ops.push(...(await appendOps(b, id, [{ type: 'meta:set', key: key(i), value: { i } }], { now: (now += 1000) })));
  ops.push(...(await appendOps(b, id, [{ type: 'meta:set', key: key(n - 1), value: null }], { now: (now += 1000) })));
  return { id, ops };
}

/** The backend's head made whole again, without the fields only a stored head has. */
async function wholeHead(b: StorageBackend, id: ThreadID): Promise<unknown> {
  const { messageCount: _c, updated: _u, ...core } = withAllMeta((await b.getHead(id))!, await b.threadMeta(id));
  return core;
}

function foldedHead(id: ThreadID, ops: Op[]): unknown {
  const { messages: _m, ...core } = foldOps(id, ops);
  return core;
}

const metaStamps = (stamps: Record<string, unknown>) => Object.keys(stamps).filter((k) => k.startsWith('meta.'));

/** Registers the meta tests. */
export function metaContractTests(it: ContractTest): void {
  it('the stored head keeps at most MAX_META meta keys and their writers; threadMeta has every key, in the order first set', async (b) => {
    const n = MAX_META + 5;
    const { id, ops } = await metaThread(b, n);
    const head = (await b.getHead(id))!;
    assert.equal(metaStamps(head.clock.stamps).length, MAX_META);
    assert.ok(Object.keys(head.meta ?? {}).length <= MAX_META);
    assert.equal(head.clock.metaCount, n + 1);
    const kept = await b.threadMeta(id);
    assert.deepEqual(kept.map((m) => m.key), ['created', ...Array.from({ length: n }, (_, i) => key(i))]);
    assert.equal(kept.at(-1)!.value, null, 'a deleted key keeps its writer');
    assert.deepEqual(kept[0]!.value, { nested: [1, 2.5, 'x'] });
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, ops));
    assert.deepEqual((await b.threadMeta(id, [key(n - 2), 'absent'])).map((m) => m.key), [key(n - 2)]);
    assert.deepEqual(await b.threadMeta(id, []), []);
  });

  it('a key the stored head does not show is last-writer-wins: an older write loses, a newer one wins', async (b) => {
    const n = MAX_META + 3;
    const { id, ops } = await metaThread(b, n);
    const cut = key(n - 2); // sorts last among the live keys: not in the head
    assert.ok(!Object.hasOwn((await b.getHead(id))!.clock.stamps, `meta.${cut}`));
    const head = (await b.getHead(id))!;
    const ctx = (clientId: string, now: number) => ({ clientId, now, messageAt: () => undefined, indexOf: () => undefined });
    // A write stamped before the stored one (a device whose clock was behind), then one after.
    const older = { ...completeOp({ ...head, clock: { ...head.clock, maxHlc: '0' } }, { type: 'meta:set', key: cut, value: 'older' }, ctx('aaa', T0 - 5000)), v: head.v + 1 };
    const newer = { ...completeOp(head, { type: 'meta:set', key: key(0), value: 'newer' }, ctx('zzz', T0 + 9_000_000)), v: head.v + 2 };
    await b.commit([await batchFromOps(head, [older, newer], T0 + 9_000_000, undefined, storedLookup(b, id))], T0 + 9_000_000);
    const again: Delta[] = [{ type: 'meta:set', key: key(n - 1), value: 'back' }];
    const more = await appendOps(b, id, again, { now: T0 + 9_500_000 });
    const all = [...ops, older, newer, ...more];
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, all));
    const meta = Object.fromEntries((await b.threadMeta(id)).map((m) => [m.key, m.value]));
    assert.deepEqual([meta[cut], meta[key(0)], meta[key(n - 1)]], [{ i: n - 2 }, 'newer', 'back']);
    assert.equal((await b.getHead(id))!.clock.metaCount, n + 1);
  });

  it('rewrite and replaceView with a whole head replace the meta keys kept beside it', async (b) => {
    const { id, ops } = await metaThread(b, MAX_META + 4);
    const kept = ops.slice(0, ops.length - 4);
    const { messages, ...core } = foldOps(id, kept);
    const head = { ...core, messageCount: messages.length, updated: T0 + 5_000_000 };
    await b.replaceView(head, viewRows(id, kept));
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, kept));
    const stored = (await b.getHead(id))!;
    await b.rewrite({ threadId: id, baseVersion: stored.v, keepVersion: kept.length, ops: [], head, rows: viewRows(id, kept) }, T0 + 5_000_001);
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, kept));
  });

  it('a refused commit keeps no meta key beside the head', async (b) => {
    const { id } = await metaThread(b, MAX_META + 1);
    const before = await snapshot(b, [id]);
    const head = (await b.getHead(id))!;
    const op = completeOp(head, { type: 'meta:set', key: 'zzz', value: 1 }, { clientId: 'c', now: T0 + 9, messageAt: () => undefined, indexOf: () => undefined });
    const batch = await batchFromOps(head, [op], T0 + 9, undefined, storedLookup(b, id));
    await assert.rejects(b.commit([{ ...batch, baseVersion: head.v - 1 }], T0 + 9));
    assert.deepEqual(await snapshot(b, [id]), before);
  });
}
