/**
 * Contract tests of the reading half of a backend: op ranges and the global op sequence, message
 * pages by key and offset, hidden rows, `locate`, the activity list with its snapshot, `maxSeq`
 * and usage roll-ups.
 */
import assert from 'node:assert/strict';
import type { ThreadID } from '../model/types.js';
import { ALL, appendBatch, appendOps, assistant, createBatch, seedThread, user, visibleMessages, type ContractTest } from './contract-fixtures.js';

const DAY1 = Date.UTC(2024, 0, 1, 10);
const DAY2 = Date.UTC(2024, 0, 2, 10);

function ids(rows: { head: { id: ThreadID } }[]): ThreadID[] {
  return rows.map((r) => r.head.id);
}

/** Registers the read tests. */
export function readContractTests(it: ContractTest): void {
  it('ops answers fromVersion < v <= toVersion in version order', async (b) => {
    const a = await seedThread(b, [user('1'), assistant('2')]);
    const more = await appendOps(b, a.id, [user('3'), { type: 'title', value: 't' }, assistant('5')]);
    const all = [...a.ops, ...more];
    assert.deepEqual(await b.ops(a.id, 0, ALL), all);
    assert.deepEqual((await b.ops(a.id, 0, ALL)).map((o) => o.v), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await b.ops(a.id, 2, 4), all.slice(2, 4));
    assert.deepEqual(await b.ops(a.id, 5, 6), all.slice(5, 6));
    assert.deepEqual(await b.ops(a.id, 4, 4), []);
    assert.deepEqual(await b.ops(a.id, 6, ALL), []);
    assert.deepEqual(await b.ops(a.id, 0, 1), all.slice(0, 1));
  });

  it('messagesBefore / messagesAfter page by key and offset', async (b) => {
    const a = await seedThread(b, Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? user(`m${i}`) : assistant(`m${i}`))));
    const msgs = visibleMessages(a.id, a.ops);
    assert.equal(msgs.length, 10);
    const rev = [...msgs].reverse();
    assert.deepEqual(await b.messagesBefore(a.id, undefined, 3, 0), rev.slice(0, 3));
    assert.deepEqual(await b.messagesBefore(a.id, undefined, 3, 2), rev.slice(2, 5));
    assert.deepEqual(await b.messagesBefore(a.id, undefined, 100, 0), rev);
    assert.deepEqual(await b.messagesBefore(a.id, undefined, 5, 8), rev.slice(8));
    assert.deepEqual(await b.messagesBefore(a.id, undefined, 5, 10), []);
    assert.deepEqual(await b.messagesBefore(a.id, msgs[5]!.key, 3, 0), [msgs[4], msgs[3], msgs[2]]);
    assert.deepEqual(await b.messagesBefore(a.id, msgs[5]!.key, 3, 1), [msgs[3], msgs[2], msgs[1]]);
    assert.deepEqual(await b.messagesBefore(a.id, msgs[0]!.key, 3, 0), []);
    assert.deepEqual(await b.messagesAfter(a.id, undefined, 4), msgs.slice(0, 4));
    assert.deepEqual(await b.messagesAfter(a.id, msgs[5]!.key, 100), msgs.slice(6));
    assert.deepEqual(await b.messagesAfter(a.id, msgs[5]!.key, 2), msgs.slice(6, 8));
    assert.deepEqual(await b.messagesAfter(a.id, msgs[9]!.key, 2), []);
  });

  it('hidden rows are stored (and counted in usage) but never listed or located', async (b) => {
    const a = await seedThread(b, [user('q0'), assistant('r0'), user('q1'), assistant('r1', { model: 'm', inputTokens: 5 }), user('q2')]);
    const more = await appendOps(b, a.id, [{ type: 'thread:truncate', fromIndex: 3 }, user('after')]);
    const ops = [...a.ops, ...more];
    const visible = visibleMessages(a.id, ops);
    assert.deepEqual(visible.map((m) => m.content), ['q0', 'r0', 'q1', 'after']);
    assert.deepEqual(await b.messagesAfter(a.id, undefined, ALL), visible);
    assert.deepEqual(await b.messagesBefore(a.id, undefined, ALL, 0), [...visible].reverse());
    assert.deepEqual(await b.messagesAfter(a.id, visible[2]!.key, ALL), [visible[3]]);
    assert.deepEqual(await b.messagesBefore(a.id, visible[3]!.key, 1, 0), [visible[2]]);
    assert.equal((await b.getHead(a.id))?.messageCount, 4);
    const hiddenIds = visibleMessages(a.id, a.ops).slice(3).map((m) => m.id);
    for (const id of hiddenIds) {
      assert.equal(await b.locate(a.id, { messageId: id }), undefined);
      assert.equal(await b.findMessage(a.id, id), undefined);
    }
    assert.deepEqual(await b.findMessage(a.id, visible[2]!.id), visible[2]);
    assert.equal(await b.findMessage(a.id, 'no-such-message'), undefined);
    assert.deepEqual(await b.locate(a.id, { index: 3 }), { index: 3, message: visible[3] });
    assert.equal(await b.locate(a.id, { index: 4 }), undefined);
    const [row] = await b.usage([a.id], 'all');
    assert.equal(row?.inputTokens, 5);

    // A row inserted hidden (as a merge can do) is stored but not listed either.
    const batch = await appendBatch(b, a.id, [assistant('merged-in', { model: 'm', outputTokens: 9 })]);
    batch.inserts = batch.inserts.map((r) => ({ ...r, hidden: true }));
    batch.head = { ...batch.head, messageCount: batch.head.messageCount - 1 };
    await b.commit([batch], batch.head.updated);
    assert.deepEqual(await b.messagesAfter(a.id, undefined, ALL), visible);
    assert.equal(await b.locate(a.id, { messageId: batch.inserts[0]!.message.id }), undefined);
    assert.equal(await b.findMessage(a.id, batch.inserts[0]!.message.id), undefined);
    assert.equal(await b.hasOp(a.id, batch.ops[0]!.opId), true);
    assert.equal((await b.usage([a.id], 'all'))[0]?.outputTokens, 9);
  });

  it('locate finds each visible message by index and by id', async (b) => {
    const a = await seedThread(b, [user('a'), assistant('b'), user('c'), assistant('d')]);
    const msgs = visibleMessages(a.id, a.ops);
    for (const [index, message] of msgs.entries()) {
      assert.deepEqual(await b.locate(a.id, { index }), { index, message });
      assert.deepEqual(await b.locate(a.id, { messageId: message.id }), { index, message });
    }
    assert.equal(await b.locate(a.id, { index: msgs.length }), undefined);
    assert.equal(await b.locate(a.id, { messageId: 'nope' }), undefined);
    assert.equal(await b.locate(a.id, { messageId: a.ops[0]!.opId }), undefined, 'a non-message op is not a message');
    const other = await seedThread(b, [user('x')]);
    assert.equal(await b.locate(other.id, { messageId: msgs[0]!.id }), undefined, 'messages belong to their thread');
  });

  it('listThreads: newest activity first, as it stood at the snapshot', async (b) => {
    const a = await seedThread(b, [user('a')]);
    const c = await seedThread(b, [user('c')]);
    const d = await seedThread(b, [user('d')]);
    const snap = await b.maxSeq();
    const listed = await b.listThreads({ limit: 10, snapshot: snap });
    assert.deepEqual(ids(listed), [d.id, c.id, a.id]);
    assert.ok(listed.every((l, i) => i === 0 || l.activity < listed[i - 1]!.activity), 'activity strictly decreasing');
    assert.ok(listed.every((l) => l.activity <= snap));

    await appendOps(b, a.id, [user('a again')]);
    const e = await seedThread(b, [user('e')]);
    const same = await b.listThreads({ limit: 10, snapshot: snap });
    assert.deepEqual(ids(same), [d.id, c.id, a.id], 'a later thread is left out; a later update keeps the old place');
    assert.deepEqual(
      same.map((l) => l.activity),
      listed.map((l) => l.activity),
    );
    const now = await b.listThreads({ limit: 10, snapshot: await b.maxSeq() });
    assert.deepEqual(ids(now), [e.id, a.id, d.id, c.id]);
    assert.deepEqual(ids(await b.listThreads({ limit: 2, snapshot: await b.maxSeq() })), [e.id, a.id]);
    assert.deepEqual(await b.listThreads({ limit: 10, snapshot: 0 }), []);
  });

  it('listThreads paged with `below` lists every thread exactly once while threads change', async (b) => {
    const made: ThreadID[] = [];
    for (let i = 0; i < 7; i++) made.push((await seedThread(b, [user(`t${i}`)])).id);
    const snap = await b.maxSeq();
    const seen: ThreadID[] = [];
    let below: number | undefined;
    for (let page = 0; page < 20; page++) {
      const rows = await b.listThreads({ limit: 2, snapshot: snap, ...(below !== undefined && { below }) });
      if (rows.length === 0) break;
      seen.push(...ids(rows));
      below = rows.at(-1)!.activity;
      // Between pages: the oldest unseen thread gets new activity, and new threads appear.
      const unseen = made.filter((id) => !seen.includes(id));
      if (unseen[0]) await appendOps(b, unseen[0], [user(`bump ${page}`)]);
      await seedThread(b, [user(`new ${page}`)]);
    }
    assert.deepEqual([...seen].sort(), [...made].sort());
    assert.deepEqual(seen, [...made].reverse());
  });

  it('maxSeq grows with every commit and bounds every listed activity', async (b) => {
    const start = await b.maxSeq();
    const a = await seedThread(b, [user('1')]);
    const afterCreate = await b.maxSeq();
    assert.ok(afterCreate >= start + a.ops.length, `${afterCreate} >= ${start} + ${a.ops.length}`);
    await appendOps(b, a.id, [user('2'), user('3')]);
    const afterAppend = await b.maxSeq();
    assert.ok(afterAppend >= afterCreate + 2);
    const [row] = await b.listThreads({ limit: 1, snapshot: afterAppend });
    assert.equal(row?.head.id, a.id);
    assert.ok(row!.activity > afterCreate && row!.activity <= afterAppend);
  });

  it('usage sums tokens and cost by model, by UTC day and overall, hidden messages included', async (b) => {
    const a = await seedThread(b, [
      user('q', { timestamp: DAY1 }),
      assistant('big', { model: 'm-b', inputTokens: 200, outputTokens: 20, costUSD: 0.25 }, DAY2),
      assistant('no model', { inputTokens: 7 }, DAY2),
      assistant('cache only', { cacheWriteTokens: 3 }, DAY1),
      assistant('to hide', { model: 'm-a', inputTokens: 100, outputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 1, costUSD: 0.5 }, DAY1),
      assistant('no usage', undefined, DAY1),
    ]);
    await appendOps(b, a.id, [{ type: 'thread:truncate', fromIndex: 4 }, assistant('late', { model: 'm-a', inputTokens: 1, outputTokens: 1, costUSD: 0.125 }, DAY2)]);
    const other = await seedThread(b, [assistant('other', { model: 'm-a', inputTokens: 1000 }, DAY1)]);
    const ignored = await seedThread(b, [assistant('not asked', { model: 'm-a', inputTokens: 99999, costUSD: 9 }, DAY1)]);
    const totals = (g: string, i: number, o: number, cr: number, cw: number, cost: number, messages: number) => ({
      group: g,
      inputTokens: i,
      outputTokens: o,
      cacheReadTokens: cr,
      cacheWriteTokens: cw,
      costUSD: cost,
      messages,
    });
    const sorted = <T extends { group: string }>(rows: T[]) => [...rows].sort((x, y) => (x.group < y.group ? -1 : 1));
    assert.deepEqual(sorted(await b.usage([a.id, other.id], 'model')), [
      totals('', 7, 0, 0, 3, 0, 2),
      totals('m-a', 1101, 11, 5, 1, 0.625, 3),
      totals('m-b', 200, 20, 0, 0, 0.25, 1),
    ]);
    assert.deepEqual(sorted(await b.usage([a.id, other.id], 'day')), [
      totals('2024-01-01', 1100, 10, 5, 4, 0.5, 3),
      totals('2024-01-02', 208, 21, 0, 0, 0.375, 3),
    ]);
    assert.deepEqual(await b.usage([a.id, other.id], 'all'), [totals('', 1308, 31, 5, 4, 0.875, 6)]);
    assert.deepEqual(await b.usage([a.id], 'all'), [totals('', 308, 31, 5, 4, 0.875, 5)]);
    assert.deepEqual(await b.usage([], 'all'), []);
    const unknown = (await createBatch(b)).threadId;
    assert.deepEqual(await b.usage([unknown], 'model'), []);
    assert.equal((await b.usage([ignored.id], 'all'))[0]?.inputTokens, 99999);
  });

  it('opsSince lists the ops of every thread in global sequence order, paged by seq', async (b) => {
    const start = await b.maxSeq();
    const a = await seedThread(b, [user('a1')]);
    const c = await seedThread(b, [user('c1'), assistant('c2')]);
    const more = await appendOps(b, a.id, [assistant('a2')]);
    const all = await b.opsSince(start, 1000);
    const max = await b.maxSeq();
    assert.deepEqual(
      all.map((x) => x.op),
      [...a.ops, ...c.ops, ...more],
    );
    assert.ok(all.every((x, i) => i === 0 || x.seq > all[i - 1]!.seq), 'sequence strictly increasing');
    assert.ok(all.every((x) => x.seq > start && x.seq <= max), 'within (start, maxSeq]');
    const paged: typeof all = [];
    for (let after = start, page = await b.opsSince(after, 2); page.length > 0; page = await b.opsSince(after, 2)) {
      assert.ok(page.length <= 2);
      paged.push(...page);
      after = page.at(-1)!.seq;
    }
    assert.deepEqual(paged, all);
    assert.deepEqual(await b.opsSince(all[2]!.seq, 2), all.slice(3, 5));
    assert.deepEqual(await b.opsSince(all.at(-1)!.seq, 10), []);
    const listed = await b.listThreads({ limit: 10, snapshot: max });
    assert.deepEqual(
      listed.map((l) => [l.head.id, l.activity]),
      [
        [a.id, all.at(-1)!.seq],
        [c.id, all[c.ops.length + a.ops.length - 1]!.seq],
      ],
      'activity is the sequence number of the thread\'s latest op',
    );
  });
}
