/**
 * Contract tests of bounded heads (model/hidden.ts): the head a backend stores keeps at most
 * MAX_HIDDEN hidden ranges however often a thread is truncated, `hiddenRanges` keeps all of them
 * in log order, and ops keyed below the head's window are still hidden (or shown) exactly as
 * folding the whole log says.
 */
import assert from 'node:assert/strict';
import { completeOp, foldOps } from '../model/apply.js';
import { MAX_HIDDEN, keySpan, withAllRanges } from '../model/hidden.js';
import type { Op, ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import { batchFromOps, storedLookup } from '../store/batch.js';
import { ALL, T0, appendOps, assistant, seedThread, user, viewRows, type ContractTest } from './contract-fixtures.js';

/** A thread of `rounds` turns, each a prompt and a reply, the reply then truncated away (1 s apart). */
async function truncatedThread(b: StorageBackend, rounds: number): Promise<{ id: ThreadID; ops: Op[] }> {
  const { id, ops } = await seedThread(b);
  let now = T0;
  for (let i = 0; i < rounds; i++) {
    now += 1000;
    const added = await appendOps(b, id, [user(`prompt ${i}`), assistant(`reply ${i}`)], { now });
    const reply = added[1]!;
    ops.push(...added, ...(await appendOps(b, id, [{ type: 'thread:truncate', fromMessageId: reply.opId }], { now: now + 1 })));
  }
  return { id, ops };
}

/** What the backend shows of a thread, whole: its head made whole again, and its visible messages. */
async function shown(b: StorageBackend, id: ThreadID): Promise<unknown> {
  const head = (await b.getHead(id))!;
  const { messageCount, updated: _u, ...core } = withAllRanges(head, await b.hiddenRanges(id));
  return { ...core, messages: await b.messagesAfter(id, undefined, ALL), messageCount };
}

function folded(id: ThreadID, ops: Op[]): unknown {
  const t = foldOps(id, ops);
  return { ...t, messageCount: t.messages.length };
}

/** Registers the bounded-head tests. */
export function hiddenContractTests(it: ContractTest): void {
  it('the stored head keeps at most MAX_HIDDEN hidden ranges; hiddenRanges has them all, in log order', async (b) => {
    const { id, ops } = await truncatedThread(b, MAX_HIDDEN + 5);
    const head = (await b.getHead(id))!;
    assert.equal(head.clock.hidden.length, MAX_HIDDEN);
    assert.ok(head.clock.hiddenBefore !== undefined);
    const whole = foldOps(id, ops);
    assert.deepEqual(await b.hiddenRanges(id), whole.clock.hidden);
    assert.deepEqual(await shown(b, id), folded(id, ops));
    // Only the ranges reaching into a span: the oldest reply's key is in the oldest range only.
    const oldest = whole.clock.hidden[0]!;
    assert.deepEqual(await b.hiddenRanges(id, keySpan(oldest.fromKey)), [oldest]);
  });

  it('a remote message keyed in an old turn is hidden by a range the head left out, and shown in a gap', async (b) => {
    const { id, ops } = await truncatedThread(b, MAX_HIDDEN + 3);
    // Turn 0 as it stood after its prompt (v2): devB answers late (inside the range that hid the
    // reply) and early (before the hidden reply, a gap no range covers).
    const { messages: _m, ...turn0 } = foldOps(id, ops.slice(0, 2));
    // (`aDev` sorts before the suite's client id: same stamp as the hidden reply, a smaller key.)
    const ctx = (clientId: string, now: number) => ({ clientId, now, messageAt: () => undefined, indexOf: () => undefined });
    const early = completeOp(turn0, assistant('early'), ctx('aDev', T0 + 1000));
    const late = completeOp(turn0, assistant('late'), ctx('devB', T0 + 1_000_000));
    const head = (await b.getHead(id))!;
    const remote = [early, late].map((op, i) => ({ ...op, v: head.v + 1 + i }));
    const batch = await batchFromOps(head, remote, T0 + 2_000_000, undefined, storedLookup(b, id));
    await b.commit([batch], T0 + 2_000_000);
    const all = [...ops, ...remote];
    assert.deepEqual(await shown(b, id), folded(id, all));
    const visible = (await b.messagesAfter(id, undefined, ALL)).map((m) => m.content);
    assert.ok(visible.includes('early') && !visible.includes('late'), visible.join(', '));
    assert.ok((await b.getHead(id))!.clock.hidden.length <= MAX_HIDDEN);
  });

  it('rewrite and replaceView with a whole head replace the ranges kept beside it', async (b) => {
    const { id, ops } = await truncatedThread(b, MAX_HIDDEN + 2);
    const kept = ops.slice(0, ops.length - 3 * 4); // four rounds fewer
    const t = foldOps(id, kept);
    const { messages, ...core } = t;
    const head = { ...core, messageCount: messages.length, updated: T0 + 5_000_000 };
    await b.replaceView(head, viewRows(id, ops).filter((r) => kept.some((op) => op.opId === r.message.id)));
    assert.deepEqual(await b.hiddenRanges(id), t.clock.hidden);
    assert.deepEqual((await b.getHead(id))!.clock.hidden.length, Math.min(MAX_HIDDEN, t.clock.hidden.length));
    const stored = (await b.getHead(id))!;
    await b.rewrite({ threadId: id, baseVersion: stored.v, keepVersion: kept.length, ops: [], head, rows: viewRows(id, kept) }, T0 + 5_000_001);
    assert.deepEqual(await b.hiddenRanges(id), t.clock.hidden);
  });
}
