/**
 * Contract tests of leases (the exclusive writer's fenced lease) and of crash repair
 * (`inconsistentThreads`, `replaceView`).
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { ALL, T0, appendBatch, appendOps, assistant, createBatch, rejectsWithCode, seedThread, snapshot, user, viewRows, visibleMessages, type ContractTest } from './contract-fixtures.js';

/** Registers the lease and repair tests. */
export function leaseContractTests(it: ContractTest): void {
  it('leases: taken when free, refused while live, taken over after expiry with a higher token, renewed and released', async (b) => {
    const { id } = await seedThread(b, [user('x')]);
    assert.equal(await b.lease(id), undefined);
    const t1 = await b.acquireLease(id, 'alice', 1000, T0);
    assert.equal(typeof t1, 'number');
    assert.deepEqual(await b.lease(id), { owner: 'alice', token: t1, expires: T0 + 1000 });
    assert.equal(await b.acquireLease(id, 'bob', 1000, T0 + 500), undefined);
    assert.equal(await b.acquireLease(id, 'alice', 1000, T0 + 999), undefined, 'a live lease is not taken twice, even by its owner');
    assert.equal(await b.renewLease(id, { owner: 'alice', token: t1! }, 1000, T0 + 900), true);
    assert.equal((await b.lease(id))?.expires, T0 + 1900);
    assert.equal(await b.acquireLease(id, 'bob', 1000, T0 + 1500), undefined, 'renewal moved the expiry');
    const t2 = await b.acquireLease(id, 'bob', 1000, T0 + 1901);
    assert.ok(t2 !== undefined && t2 > t1!, `takeover token ${t2} above ${t1}`);
    assert.equal(await b.renewLease(id, { owner: 'alice', token: t1! }, 1000, T0 + 1902), false);
    assert.equal(await b.renewLease(id, { owner: 'alice', token: t2 }, 1000, T0 + 1902), false, 'the token alone is not enough');
    await b.releaseLease(id, { owner: 'alice', token: t1! });
    assert.deepEqual(await b.lease(id), { owner: 'bob', token: t2, expires: T0 + 2901 }, 'a stale release does nothing');
    assert.equal(await b.acquireLease(id, 'carol', 1000, T0 + 2000), undefined);
    await b.releaseLease(id, { owner: 'bob', token: t2 });
    const t3 = await b.acquireLease(id, 'carol', 1000, T0 + 2000);
    assert.ok(t3 !== undefined && t3 > t2, 'released: free at once, with a higher token');
    assert.equal(await b.renewLease(id, { owner: 'bob', token: t2 }, 1000, T0 + 2001), false);
    const other = (await seedThread(b)).id;
    assert.notEqual(await b.acquireLease(other, 'dave', 1000, T0 + 2000), undefined, 'leases are per thread');
  });

  it('leases fence commits: stale token -> LEASE_LOST, unfenced during a live lease -> THREAD_BUSY, nothing written', async (b) => {
    const { id } = await seedThread(b, [user('x')]);
    const t1 = (await b.acquireLease(id, 'alice', 1000, T0))!;
    const alice = { owner: 'alice', token: t1 };
    await appendOps(b, id, [user('by alice')], { now: T0 + 10, fence: alice });
    let before = await snapshot(b, [id]);
    await rejectsWithCode(b.commit([await appendBatch(b, id, [user('unfenced')], { now: T0 + 20 })], T0 + 20), ErrorCode.THREAD_BUSY);
    assert.deepEqual(await snapshot(b, [id]), before);

    const t2 = (await b.acquireLease(id, 'bob', 1000, T0 + 1500))!;
    const stale = await appendBatch(b, id, [user('stale alice')], { now: T0 + 1600, fence: alice });
    await rejectsWithCode(b.commit([stale], T0 + 1600), ErrorCode.LEASE_LOST);
    assert.deepEqual(await snapshot(b, [id]), before);
    const other = await seedThread(b, [user('o')]);
    before = await snapshot(b, [id, other.id]);
    const otherBatch = await appendBatch(b, other.id, [user('o2')], { now: T0 + 1600 });
    await rejectsWithCode(b.commit([otherBatch, stale], T0 + 1600), ErrorCode.LEASE_LOST);
    assert.deepEqual(await snapshot(b, [id, other.id]), before, 'a fenced-out batch takes its whole commit down');

    await appendOps(b, id, [user('by bob')], { now: T0 + 1700, fence: { owner: 'bob', token: t2 } });
    await b.releaseLease(id, { owner: 'bob', token: t2 });
    await appendOps(b, id, [user('free again')], { now: T0 + 1800 });
    const contents = (await b.messagesAfter(id, undefined, ALL)).map((m) => m.content);
    assert.deepEqual(contents, ['x', 'by alice', 'by bob', 'free again']);
  });

  it('inconsistentThreads finds a view that disagrees with its log; replaceView repairs it', async (b) => {
    const a = await seedThread(b, [user('1'), assistant('2', { model: 'm', inputTokens: 3 }), user('3')]);
    const more = await appendOps(b, a.id, [{ type: 'thread:truncate', fromIndex: 1 }, user('4')]);
    const fine = await seedThread(b, [user('ok')]);
    assert.deepEqual(await b.inconsistentThreads(), []);
    const ops = [...a.ops, ...more];
    const good = (await b.getHead(a.id))!;
    const visible = visibleMessages(a.id, ops);
    const fullRows = viewRows(a.id, ops);
    assert.equal(fullRows.filter((r) => r.hidden).length, 2);

    for (const wrongV of [good.v - 2, good.v + 3]) {
      await b.replaceView({ ...good, v: wrongV, messageCount: 0 }, []);
      assert.deepEqual(await b.inconsistentThreads(), [a.id]);
      assert.deepEqual(await b.messagesAfter(a.id, undefined, ALL), []);
      await b.replaceView(good, fullRows);
      assert.deepEqual(await b.inconsistentThreads(), []);
      assert.deepEqual(await b.getHead(a.id), good);
      assert.deepEqual(await b.messagesAfter(a.id, undefined, ALL), visible);
      assert.deepEqual(await b.locate(a.id, { messageId: visible[1]!.id }), { index: 1, message: visible[1] });
      assert.equal((await b.usage([a.id], 'all'))[0]?.inputTokens, 3, 'rebuilt hidden rows still count');
      assert.deepEqual(await b.ops(a.id, 0, ALL), ops, 'the log is untouched');
    }
    assert.deepEqual(await b.messagesAfter(fine.id, undefined, ALL), visibleMessages(fine.id, fine.ops));
    const missing = (await createBatch(b)).head;
    await rejectsWithCode(b.replaceView(missing, []), ErrorCode.NOT_FOUND);
    // Appending on a repaired view works as on any other.
    await appendOps(b, a.id, [user('5')]);
    assert.equal((await b.messagesAfter(a.id, undefined, ALL)).at(-1)?.content, '5');
  });
}
