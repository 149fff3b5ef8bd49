/**
 * Contract tests of the writing half of a backend: `getHead`, `commit` (atomic across batches,
 * version-checked, opIds unique) and `rewrite` (a sync rebase).
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { ALL, T0, appendBatch, appendOps, assistant, createBatch, rejectsWithCode, rewriteChange, seedThread, snapshot, user, visibleMessages, type ContractTest } from './contract-fixtures.js';

/** Registers the commit and rewrite tests. */
export function commitContractTests(it: ContractTest): void {
  it('getHead is undefined for an unknown thread; commit stores the head, ops and messages as given', async (b) => {
    const unknown = (await createBatch(b)).threadId;
    assert.equal(await b.getHead(unknown), undefined);
    assert.deepEqual(await b.ops(unknown, 0, ALL), []);
    assert.deepEqual(await b.messagesAfter(unknown, undefined, 10), []);
    const batch = await createBatch(b, { title: 't', meta: { k: [1, { x: 'y' }] } }, [
      user('hi', { attachments: [{ name: 'a.txt' }] }),
      { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c1', name: 'read', input: { path: '/x' } }] } },
      { type: 'user:message', message: { content: 'done', toolResults: [{ toolCallId: 'c1', output: 'text', isError: false }] } },
    ]);
    await b.commit([batch], T0);
    assert.deepEqual(await b.getHead(batch.threadId), batch.head);
    assert.deepEqual(await b.ops(batch.threadId, 0, ALL), batch.ops);
    assert.deepEqual(await b.messagesAfter(batch.threadId, undefined, ALL), visibleMessages(batch.threadId, batch.ops));
    for (const op of batch.ops) assert.equal(await b.hasOp(batch.threadId, op.opId), true);
    assert.equal(await b.hasOp(batch.threadId, 'no-such-op'), false);
    assert.equal(await b.hasOp(unknown, batch.ops[0]!.opId), false);
  });

  it('commit of several batches is atomic: a wrong baseVersion in the second changes nothing, not even the first', async (b) => {
    const a = await seedThread(b, [user('a1')]);
    const c = await seedThread(b, [user('c1')]);
    const before = await snapshot(b, [a.id, c.id]);
    const okA = await appendBatch(b, a.id, [user('a2'), assistant('a3')]);
    const badC = { ...(await appendBatch(b, c.id, [user('c2')])), baseVersion: 1 };
    const fresh = await createBatch(b, {}, [user('new')]);
    await rejectsWithCode(b.commit([okA, badC], T0 + 10), ErrorCode.VERSION_CONFLICT);
    await rejectsWithCode(b.commit([fresh, okA, badC], T0 + 10), ErrorCode.VERSION_CONFLICT);
    assert.deepEqual(await snapshot(b, [a.id, c.id]), before);
    assert.equal(await b.getHead(fresh.threadId), undefined, 'a thread created in a refused commit must not exist');
    // The same batches without the bad one go through, so nothing else was wrong with them.
    await b.commit([fresh, okA], T0 + 10);
    assert.equal((await b.getHead(a.id))?.v, okA.head.v);
    assert.equal((await b.getHead(fresh.threadId))?.v, fresh.head.v);
  });

  it('commit refuses with VERSION_CONFLICT a base below or above the stored version, and creating an existing thread', async (b) => {
    const a = await seedThread(b, [user('one'), user('two')]);
    const before = await snapshot(b, [a.id]);
    const next = await appendBatch(b, a.id, [user('three')]);
    await rejectsWithCode(b.commit([{ ...next, baseVersion: next.baseVersion - 1 }], T0 + 5), ErrorCode.VERSION_CONFLICT);
    await rejectsWithCode(b.commit([{ ...next, baseVersion: next.baseVersion + 1 }], T0 + 5), ErrorCode.VERSION_CONFLICT);
    const again = await createBatch(b, {}, [user('other')]);
    await rejectsWithCode(b.commit([{ ...again, threadId: a.id, head: { ...again.head, id: a.id } }], T0 + 5), ErrorCode.VERSION_CONFLICT);
    assert.deepEqual(await snapshot(b, [a.id]), before);
    await b.commit([next], T0 + 5);
    assert.equal((await b.getHead(a.id))?.v, 4);
  });

  it('commit refuses an opId already in the thread (or twice in one batch), writing nothing', async (b) => {
    const a = await seedThread(b, [user('one'), user('two')]);
    const before = await snapshot(b, [a.id]);
    const batch = await appendBatch(b, a.id, [{ type: 'title', value: 'x' }, { type: 'meta:set', key: 'k', value: 1 }]);
    const reused = { ...batch, ops: [{ ...batch.ops[0]!, opId: a.ops[1]!.opId }, batch.ops[1]!] };
    await rejectsWithCode(b.commit([reused], T0 + 5), ErrorCode.VALIDATION);
    const twice = { ...batch, ops: [batch.ops[0]!, { ...batch.ops[1]!, opId: batch.ops[0]!.opId }] };
    await rejectsWithCode(b.commit([twice], T0 + 5), ErrorCode.VALIDATION);
    assert.deepEqual(await snapshot(b, [a.id]), before);
    assert.equal(await b.hasOp(a.id, batch.ops[0]!.opId), false);
  });

  it('rewrite replaces the log after keepVersion and the whole view atomically, checked like commit', async (b) => {
    const a = await seedThread(b, [user('1'), assistant('2'), user('3'), assistant('4', { model: 'm', outputTokens: 4 })]);
    const other = await seedThread(b, [user('o')]);
    const kept = a.ops.slice(0, 3);
    const change = await rewriteChange(b, a.id, 3, [
      assistant('2b', { model: 'm', outputTokens: 2 }),
      user('3b'),
      { type: 'thread:truncate', fromIndex: 2 },
      user('4b'),
    ]);
    const now = change.head.updated;
    const before = await snapshot(b, [a.id, other.id]);
    await rejectsWithCode(b.rewrite({ ...change, baseVersion: 4 }, now), ErrorCode.VERSION_CONFLICT);
    const reused = [{ ...change.ops[0]!, opId: kept[1]!.opId }, ...change.ops.slice(1)];
    await rejectsWithCode(b.rewrite({ ...change, ops: reused }, now), ErrorCode.VALIDATION);
    const unknown = (await createBatch(b)).threadId;
    await rejectsWithCode(b.rewrite({ ...change, threadId: unknown, head: { ...change.head, id: unknown } }, now), ErrorCode.NOT_FOUND);
    const token = (await b.acquireLease(a.id, 'w', 1000, now))!;
    await rejectsWithCode(b.rewrite(change, now + 1), ErrorCode.THREAD_BUSY);
    await rejectsWithCode(b.rewrite({ ...change, fence: { owner: 'w', token: token + 1 } }, now + 1), ErrorCode.LEASE_LOST);
    assert.deepEqual(await snapshot(b, [a.id, other.id]), before);
    assert.equal(await b.getHead(unknown), undefined);

    const seqBefore = await b.maxSeq();
    await b.rewrite({ ...change, fence: { owner: 'w', token } }, now + 1);
    const log = [...kept, ...change.ops];
    assert.deepEqual(await b.ops(a.id, 0, ALL), log);
    assert.deepEqual(await b.getHead(a.id), change.head);
    const visible = visibleMessages(a.id, log);
    assert.deepEqual(visible.map((m) => m.content), ['1', '2', '4b']);
    assert.deepEqual(await b.messagesAfter(a.id, undefined, ALL), visible);
    assert.deepEqual(await b.locate(a.id, { index: 2 }), { index: 2, message: visible[2] });
    for (const gone of a.ops.slice(3)) {
      assert.equal(await b.hasOp(a.id, gone.opId), false);
      assert.equal(await b.locate(a.id, { messageId: gone.opId }), undefined);
    }
    assert.equal((await b.usage([a.id], 'all'))[0]?.outputTokens, 2, 'the dropped message no longer counts; the hidden one does');
    assert.deepEqual((await b.opsSince(seqBefore, ALL)).map((x) => x.op), change.ops, 'the new ops get new sequence numbers');
    assert.equal((await b.listThreads({ limit: 1, snapshot: await b.maxSeq() }))[0]?.head.id, a.id);
    assert.deepEqual(await b.messagesAfter(other.id, undefined, ALL), visibleMessages(other.id, other.ops));
    assert.deepEqual(await b.inconsistentThreads(), []);
    await appendOps(b, a.id, [user('5')], { now: now + 2, fence: { owner: 'w', token } });
    assert.equal((await b.getHead(a.id))?.v, change.head.v + 1);
  });
}
