/**
 * Contract tests of archiving support: `inactiveThreads`, `evict`, `reinstate` and `evicted`.
 * An evicted thread keeps its head (it still lists) and its usage; its ops and message rows go,
 * and come back exactly on `reinstate`.
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import { ALL, T0, appendBatch, appendOps, assistant, rejectsWithCode, rewriteChange, seedThread, snapshot, user, viewRows, type ContractTest } from './contract-fixtures.js';

const DAY = 86_400_000;

async function usageAll(b: StorageBackend, ids: ThreadID[]): Promise<unknown> {
  return { model: await b.usage(ids, 'model'), day: await b.usage(ids, 'day'), all: await b.usage(ids, 'all') };
}

/** What the backend holds about these threads (the global log aside: eviction takes ops out of it). */
async function threadsOf(b: StorageBackend, ids: ThreadID[]): Promise<unknown> {
  return ((await snapshot(b, ids)) as { threads: unknown }).threads;
}

/** Registers the archiving tests. */
export function lifecycleContractTests(it: ContractTest): void {
  it('evict keeps the head listed and the usage counted but drops ops and rows; reinstate puts them back exactly', async (b) => {
    const { id } = await seedThread(b, [user('q1'), assistant('a1', { model: 'm1', inputTokens: 10, outputTokens: 5, costUSD: 0.5 }, T0)]);
    await appendOps(b, id, [user('q2'), assistant('a2', { model: 'm2', inputTokens: 7, cacheReadTokens: 3, costUSD: 0.25 }, T0 + DAY)]);
    await appendOps(b, id, [{ type: 'thread:truncate', fromIndex: 2 }, assistant('a3', { model: 'm1', outputTokens: 1 }, T0 + 2 * DAY)]);
    const other = await seedThread(b, [assistant('o', { model: 'm1', inputTokens: 100 })]);
    const head = (await b.getHead(id))!;
    const ops = await b.ops(id, 0, ALL);
    const messages = await b.messagesAfter(id, undefined, ALL);
    const usage = await usageAll(b, [id, other.id]);
    const otherBefore = await threadsOf(b, [other.id]);

    await b.evict(id, head.v, T0 + 5 * DAY);
    assert.equal(await b.evicted(id), T0 + 5 * DAY);
    assert.equal(await b.evicted(other.id), undefined);
    assert.deepEqual(await b.getHead(id), head, 'the head stays');
    assert.deepEqual(await b.ops(id, 0, ALL), []);
    assert.deepEqual(await b.messagesAfter(id, undefined, ALL), []);
    assert.deepEqual(await usageAll(b, [id, other.id]), usage, 'usage still counts, by model, by day and in all');
    const listed = (await b.listThreads({ limit: 10, snapshot: await b.maxSeq() })).map((l) => l.head.id);
    assert.ok(listed.includes(id), 'an evicted thread still lists');
    assert.deepEqual(await b.inconsistentThreads(), [], 'an evicted thread is not a broken one');
    assert.deepEqual(await b.inactiveThreads({ updatedBefore: T0 + 10 * DAY, limit: 10 }), [other.id]);
    assert.deepEqual(await threadsOf(b, [other.id]), otherBefore, 'other threads are untouched');

    await b.reinstate(id, ops, viewRows(id, ops));
    assert.equal(await b.evicted(id), undefined);
    assert.deepEqual(await b.getHead(id), head);
    assert.deepEqual(await b.ops(id, 0, ALL), ops);
    assert.deepEqual(await b.messagesAfter(id, undefined, ALL), messages);
    assert.deepEqual(await b.locate(id, { index: 1 }), { index: 1, message: messages[1] });
    assert.deepEqual(await usageAll(b, [id, other.id]), usage, 'counted once again, not twice');
    await appendOps(b, id, [user('after restore')]);
    assert.equal((await b.messagesAfter(id, undefined, ALL)).at(-1)?.content, 'after restore');
  });

  it('an evicted thread takes no commit or rewrite, and evict is refused at a wrong version, under a live lease, or twice', async (b) => {
    const { id } = await seedThread(b, [user('x')]);
    const v = (await b.getHead(id))!.v;
    let before = await snapshot(b, [id]);
    await rejectsWithCode(b.evict(id, v - 1, T0 + 10), ErrorCode.VERSION_CONFLICT);
    const token = (await b.acquireLease(id, 'alice', 1000, T0))!;
    await rejectsWithCode(b.evict(id, v, T0 + 10), ErrorCode.THREAD_BUSY);
    assert.deepEqual(await snapshot(b, [id]), before, 'a refused evict changes nothing');
    assert.equal(await b.evicted(id), undefined);
    await b.releaseLease(id, { owner: 'alice', token });

    const pending = await appendBatch(b, id, [user('late')], { now: T0 + 20 });
    const rebase = await rewriteChange(b, id, 1, [user('rebased')], { now: T0 + 20 });
    await b.evict(id, v, T0 + 30);
    before = await snapshot(b, [id]);
    await rejectsWithCode(b.commit([pending], T0 + 40), ErrorCode.ARCHIVED);
    await rejectsWithCode(b.rewrite(rebase, T0 + 40), ErrorCode.ARCHIVED);
    await rejectsWithCode(b.evict(id, v, T0 + 50), ErrorCode.ARCHIVED);
    assert.deepEqual(await snapshot(b, [id]), before);
    assert.equal(await b.evicted(id), T0 + 30);
    await rejectsWithCode(b.evict('T-00000000-0000-7000-8000-000000000000', 1, T0), ErrorCode.NOT_FOUND);
    await rejectsWithCode(b.evict('T-00000000-0000-7000-8000-000000000000', 0, T0), ErrorCode.NOT_FOUND);
  });

  it('reinstate is refused, changing nothing, unless the thread is evicted and given exactly its whole log', async (b) => {
    const { id } = await seedThread(b, [user('x'), assistant('y')]);
    const ops = await b.ops(id, 0, ALL);
    await rejectsWithCode(b.reinstate(id, ops, viewRows(id, ops)), ErrorCode.VALIDATION);
    await b.evict(id, ops.length, T0 + 10);
    const before = await snapshot(b, [id]);
    await rejectsWithCode(b.reinstate(id, ops.slice(0, -1), viewRows(id, ops.slice(0, -1))), ErrorCode.VALIDATION);
    await rejectsWithCode(b.reinstate(id, [ops[1]!, ops[0]!, ops[2]!], viewRows(id, ops)), ErrorCode.VALIDATION);
    assert.deepEqual(await snapshot(b, [id]), before);
    assert.equal(await b.evicted(id), T0 + 10);
    await rejectsWithCode(b.reinstate('T-00000000-0000-7000-8000-000000000000', ops, []), ErrorCode.NOT_FOUND);
  });

  it('inactiveThreads lists threads by the time of their latest op, in id order, paged, evicted ones left out', async (b) => {
    const old1 = await seedThread(b, [user('a')], {}, T0);
    const old2 = await seedThread(b, [user('b')], {}, T0 + 1);
    const old3 = await seedThread(b, [user('c')], {}, T0 + 2);
    const fresh = await seedThread(b, [user('d')], {}, T0 + DAY);
    await appendOps(b, old2.id, [user('touched')], { now: T0 + 2 * DAY });
    const ids = [old1.id, old3.id].sort();
    assert.deepEqual(await b.inactiveThreads({ updatedBefore: T0 + DAY, limit: 10 }), ids);
    assert.deepEqual(await b.inactiveThreads({ updatedBefore: T0 + DAY, limit: 1 }), ids.slice(0, 1));
    assert.deepEqual(await b.inactiveThreads({ updatedBefore: T0 + DAY, limit: 10, after: ids[0]! }), ids.slice(1));
    assert.deepEqual(await b.inactiveThreads({ updatedBefore: T0, limit: 10 }), [], 'strictly older than the cutoff');
    await b.evict(old1.id, 2, T0 + 3 * DAY);
    const all = await b.inactiveThreads({ updatedBefore: T0 + 3 * DAY, limit: 10 });
    assert.deepEqual(all, [old2.id, old3.id, fresh.id].sort());
  });
}
