/**
 * The link lists of a stored head (model/bounded-links.ts): folding link ops on the head as a
 * store keeps it (the first MAX_LINKS of each list, their counts, stored links looked up when the
 * head does not show them) gives the same counts and, made whole from the links kept beside it,
 * the same thread as folding them on the whole head, whatever the order and the repeats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { completeOp, createOp, emptyThread, step, type Delta, type ThreadCore, type ThreadID } from '../../src/model/index.js';
import { MAX_LINKS, boundHead, linkCounts, missingLinks, withAllLinks, withLinks, type StoredLink } from '../../src/model/bounded-links.js';
import { addLink, unionLinks, type ThreadLink } from '../../src/model/links.js';
import { T0, THREAD_ID } from '../helpers/model-arbitraries.js';
import { fcRuns } from '../helpers/fc-runs.js';

/** A small pool of ids, so that links repeat often. */
const POOL: ThreadID[] = Array.from({ length: 30 }, (_, i) => `T-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000` as ThreadID);

const linkDeltaArb: fc.Arbitrary<Delta> = fc.oneof(
  fc.constantFrom(...POOL).map((threadId): Delta => ({ type: 'child:link', threadId })),
  fc.constantFrom(...POOL).map((threadId): Delta => ({ type: 'summary:link', threadId })),
  fc.constantFrom(...POOL).map((threadId): Delta => ({ type: 'handoff:link', threadId })),
  fc.record({ threadId: fc.constantFrom(...POOL), m: fc.nat({ max: 3 }), fork: fc.boolean() }).map(
    ({ threadId, m, fork }): Delta => ({ type: fork ? 'fork:link' : 'mention:link', threadId, messageId: `m${m}` }),
  ),
);

const key = (l: StoredLink) => `${l.rel} ${l.threadId} ${l.messageId ?? ''}`;

test('folding link ops on the bounded head agrees with the whole head: counts, lists, every link kept once', () => {
  fc.assert(
    fc.property(fc.array(fc.array(linkDeltaArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 }), (commits) => {
      const { messages: _m, ...empty } = emptyThread(THREAD_ID);
      let whole: ThreadCore = step(empty, createOp(THREAD_ID, {}, { clientId: 'a', now: T0 })).core;
      let stored: ThreadCore = whole;
      const side = new Map<string, StoredLink>();
      let now = T0;
      for (const deltas of commits) {
        let head = stored;
        for (const delta of deltas) {
          const op = completeOp(whole, delta, { clientId: 'a', now: ++now, messageAt: () => undefined, indexOf: () => undefined });
          whole = step(whole, op).core;
          // As a store does: the links the head cannot answer for are looked up beside it.
          const found = missingLinks(head, linksOfDelta(delta)).filter((l) => side.has(key(l)));
          const r = step(withLinks(head, found), op);
          head = r.core;
          if (r.effect.kind === 'link') {
            assert.ok(!side.has(key(r.effect.link)), `a link kept twice: ${key(r.effect.link)}`);
            side.set(key(r.effect.link), r.effect.link);
          }
        }
        stored = boundHead(head);
        assert.ok(stored.childThreadIDs.length <= MAX_LINKS && stored.summaryThreadIDs.length <= MAX_LINKS && (stored.links?.length ?? 0) <= MAX_LINKS);
        assert.deepEqual(linkCounts(stored), linkCounts(whole));
        assert.deepEqual(withAllLinks(stored, [...side.values()]), whole);
      }
    }),
    { numRuns: fcRuns(300) },
  );
});

function linksOfDelta(d: Delta): StoredLink[] {
  switch (d.type) {
    case 'child:link':
      return [{ rel: 'child', threadId: d.threadId }];
    case 'summary:link':
      return [{ rel: 'summary', threadId: d.threadId }];
    case 'handoff:link':
      return [{ rel: 'handoff', threadId: d.threadId }];
    case 'fork:link':
    case 'mention:link':
      return [{ rel: d.type === 'fork:link' ? 'fork' : 'mention', threadId: d.threadId, messageId: d.messageId }];
    default:
      return [];
  }
}

test('addLink puts a link where unionLinks would, and keeps the list when it has the link', () => {
  const linkArb: fc.Arbitrary<ThreadLink> = fc.record({ rel: fc.constantFrom('handoff', 'fork', 'mention'), threadId: fc.constantFrom(...POOL), m: fc.nat({ max: 2 }) }).map(
    ({ rel, threadId, m }) => (rel === 'handoff' ? { rel, threadId } : { rel, threadId, messageId: `m${m}` }),
  );
  fc.assert(
    fc.property(fc.array(linkArb, { maxLength: 20 }), linkArb, (list, l) => {
      const set = unionLinks(list, []);
      const added = addLink(set, l);
      assert.deepEqual(added, unionLinks(set, [l]));
      if (added.length === set.length) assert.equal(added, set);
    }),
    { numRuns: fcRuns(300) },
  );
});
