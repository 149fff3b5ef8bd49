/**
 * Contract tests of a thread's links beside its head (model/bounded-links.ts): the head a backend
 * stores keeps at most MAX_LINKS entries of each link list however many links a thread gets, with
 * their whole counts; `threadLinks` keeps every link once, in the order added; a repeated link is
 * one set member and counted once even when the head does not show it.
 */
import assert from 'node:assert/strict';
import { completeOp, foldOps } from '../model/apply.js';
import { MAX_LINKS, linkCounts, withAllLinks, type StoredLink } from '../model/bounded-links.js';
import { newThreadId } from '../model/ids.js';
import { compareKeys } from '../model/order-key.js';
import type { Delta, Op, ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import { batchFromOps, storedLookup } from '../store/batch.js';
import { ALL, CLIENT, T0, appendOps, seedThread, snapshot, user, viewRows, type ContractTest } from './contract-fixtures.js';

/** `n` new thread ids, sorted (the order a head lists them in). */
function ids(n: number): ThreadID[] {
  return Array.from({ length: n }, () => newThreadId()).sort(compareKeys);
}

/** A thread with `n` sub-agents, summaries and mentions (one commit each, in a shuffled-looking order). */
async function linkedThread(b: StorageBackend, n: number): Promise<{ id: ThreadID; ops: Op[]; added: StoredLink[] }> {
  const { id, ops } = await seedThread(b, [user('hello')]);
  const children = ids(n);
  const summaries = ids(n);
  const mentioners = ids(n);
  const added: StoredLink[] = [];
  let now = T0;
  // Newest ids first: every new link sorts before the ones kept, so the head's window moves.
  for (let i = n - 1; i >= 0; i--) {
    const deltas: Delta[] = [
      { type: 'child:link', threadId: children[i]! },
      { type: 'summary:link', threadId: summaries[i]! },
      { type: 'mention:link', threadId: mentioners[i]!, messageId: `m-${i}` },
    ];
    ops.push(...(await appendOps(b, id, deltas, { now: (now += 1000) })));
    added.push({ rel: 'child', threadId: children[i]! }, { rel: 'summary', threadId: summaries[i]! }, { rel: 'mention', threadId: mentioners[i]!, messageId: `m-${i}` });
  }
  return { id, ops, added };
}

/** The backend's head made whole again, without the fields only a stored head has. */
async function wholeHead(b: StorageBackend, id: ThreadID): Promise<unknown> {
  const { messageCount: _c, updated: _u, ...core } = withAllLinks((await b.getHead(id))!, await b.threadLinks(id));
  return core;
}

function foldedHead(id: ThreadID, ops: Op[]): unknown {
  const { messages: _m, ...core } = foldOps(id, ops);
  return core;
}

/** Registers the link tests. */
export function linkContractTests(it: ContractTest): void {
  it('the stored head keeps at most MAX_LINKS of each link list and their counts; threadLinks has every link, in the order added', async (b) => {
    const n = MAX_LINKS + 5;
    const { id, ops, added } = await linkedThread(b, n);
    const head = (await b.getHead(id))!;
    assert.equal(head.childThreadIDs.length, MAX_LINKS);
    assert.equal(head.summaryThreadIDs.length, MAX_LINKS);
    assert.equal(head.links?.length, MAX_LINKS);
    assert.deepEqual(linkCounts(head), { childCount: n, summaryCount: n, linkCount: n });
    assert.deepEqual(await b.threadLinks(id), added);
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, ops));
    // Asked about a few: those it has.
    const absent: StoredLink = { rel: 'mention', threadId: added[2]!.threadId, messageId: 'not-this-one' };
    assert.deepEqual(await b.threadLinks(id, [added[0]!, absent, added.at(-1)!]), [added[0]!, added.at(-1)!]);
    assert.deepEqual(await b.threadLinks(id, []), []);
    assert.deepEqual(await b.threadLinks(newThreadId()), []);
  });

  it('a link again, that the stored head does not show, stays one link: not kept twice, not counted twice', async (b) => {
    const { id, ops, added } = await linkedThread(b, MAX_LINKS + 3);
    // The first links added sort last: the head left them out.
    const [child, summary, mention] = added as [StoredLink, StoredLink, StoredLink];
    const head = (await b.getHead(id))!;
    assert.ok(!head.childThreadIDs.includes(child.threadId));
    const again: Delta[] = [
      { type: 'child:link', threadId: child.threadId },
      { type: 'summary:link', threadId: summary.threadId },
      { type: 'mention:link', threadId: mention.threadId, messageId: mention.messageId! },
    ];
    // Through the write path (buildBatch) ...
    const more = await appendOps(b, id, again, { now: T0 + 100_000 });
    // ... and as complete ops from elsewhere (batchFromOps).
    const now = T0 + 200_000;
    const h = (await b.getHead(id))!;
    const remote = again.map((d, i) => ({ ...completeOp(h, d, { clientId: 'other', now, messageAt: () => undefined, indexOf: () => undefined }), v: h.v + 1 + i }));
    await b.commit([await batchFromOps(h, remote, now, undefined, storedLookup(b, id))], now);
    const n = MAX_LINKS + 3;
    assert.deepEqual(linkCounts((await b.getHead(id))!), { childCount: n, summaryCount: n, linkCount: n });
    assert.deepEqual(await b.threadLinks(id), added);
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, [...ops, ...more, ...remote]));
  });

  it('a new thread whose head already has many links keeps them all beside it', async (b) => {
    const { id: from, ops: fromOps } = await linkedThread(b, MAX_LINKS + 2);
    // The same log committed whole as another thread (what a pull or an import does).
    const id = newThreadId();
    const ops = fromOps.map((op) => ({ ...op, threadId: id }));
    const { messages, ...core } = foldOps(id, ops);
    await b.commit([{ threadId: id, baseVersion: 0, head: { ...core, messageCount: messages.length, updated: T0 }, ops, inserts: viewRows(id, ops), hides: [] }], T0);
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, ops));
    assert.equal((await b.threadLinks(id)).length, (await b.threadLinks(from)).length);
    assert.ok((await b.getHead(id))!.childThreadIDs.length <= MAX_LINKS);
  });

  it('rewrite and replaceView with a whole head replace the links kept beside it', async (b) => {
    const { id, ops } = await linkedThread(b, MAX_LINKS + 4);
    const kept = ops.slice(0, ops.length - 3 * 3); // three commits fewer
    const { messages, ...core } = foldOps(id, kept);
    const head = { ...core, messageCount: messages.length, updated: T0 + 5_000_000 };
    await b.replaceView(head, viewRows(id, kept));
    assert.deepEqual(await wholeHead(b, id), foldedHead(id, kept));
    const stored = (await b.getHead(id))!;
    assert.deepEqual(linkCounts(stored), { childCount: MAX_LINKS + 1, summaryCount: MAX_LINKS + 1, linkCount: MAX_LINKS + 1 });
    await b.rewrite({ threadId: id, baseVersion: stored.v, keepVersion: kept.length, ops: [], head, rows: viewRows(id, kept) }, T0 + 5_000_001);
    assert.equal((await b.threadLinks(id)).length, 3 * (MAX_LINKS + 1));
  });

  it('a refused commit keeps no link beside the head', async (b) => {
    const { id } = await linkedThread(b, MAX_LINKS + 1);
    const before = await snapshot(b, [id]);
    const head = (await b.getHead(id))!;
    const op = completeOp(head, { type: 'child:link', threadId: newThreadId() }, { clientId: CLIENT, now: T0 + 9, messageAt: () => undefined, indexOf: () => undefined });
    const batch = await batchFromOps(head, [op], T0 + 9, undefined, storedLookup(b, id));
    await assert.rejects(b.commit([{ ...batch, baseVersion: head.v - 1 }], T0 + 9));
    assert.deepEqual(await snapshot(b, [id]), before);
    assert.equal((await b.messagesAfter(id, undefined, ALL)).length, 1);
  });
}
