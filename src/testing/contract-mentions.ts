/**
 * Contract tests of the mention-link queue (store/mentions.ts): entries queued with a commit are
 * stored in its transaction (and not when it is refused), each link once, listed oldest first
 * from a cursor, and dropped by seq.
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { newThreadId } from '../model/ids.js';
import type { PendingMention } from '../store/backend.js';
import { T0, appendBatch, rejectsWithCode, seedThread, user, type ContractTest } from './contract-fixtures.js';

/** Registers the mention-queue tests. */
export function mentionContractTests(it: ContractTest): void {
  it('mentions queued with a commit are listed oldest first, each link once, from a cursor', async (b) => {
    const { id } = await seedThread(b);
    const [x, y] = [newThreadId(), newThreadId()];
    const m = (target: typeof x, messageId: string): PendingMention => ({ target, threadId: id, messageId });
    await b.commit([{ ...(await appendBatch(b, id, [user(`see ${x}`)])), mentions: [m(x, 'm1'), m(y, 'm1')] }], T0 + 10);
    await b.commit([{ ...(await appendBatch(b, id, [user('again')])), mentions: [m(x, 'm1'), m(x, 'm2')] }], T0 + 10);
    const all = await b.pendingMentions(0, 10);
    assert.deepEqual(
      all.map(({ seq: _s, ...rest }) => rest),
      [m(x, 'm1'), m(y, 'm1'), m(x, 'm2')],
    );
    assert.ok(all[0]!.seq < all[1]!.seq && all[1]!.seq < all[2]!.seq, 'seq rises');
    assert.deepEqual(await b.pendingMentions(all[0]!.seq, 1), [all[1]]);
    await b.dropMentions([all[0]!.seq, all[2]!.seq]);
    assert.deepEqual(await b.pendingMentions(0, 10), [all[1]]);
    await b.dropMentions([]);
    assert.equal((await b.pendingMentions(0, 10)).length, 1);
  });

  it('a refused commit queues nothing', async (b) => {
    const { id } = await seedThread(b);
    const other = await seedThread(b);
    const stale = await appendBatch(b, other.id, [user('first')]);
    await b.commit([stale], T0 + 10);
    const ok = { ...(await appendBatch(b, id, [user('hello')])), mentions: [{ target: newThreadId(), threadId: id, messageId: 'm' }] };
    await rejectsWithCode(b.commit([ok, stale], T0 + 10), ErrorCode.VERSION_CONFLICT);
    assert.deepEqual(await b.pendingMentions(0, 10), []);
  });
}
