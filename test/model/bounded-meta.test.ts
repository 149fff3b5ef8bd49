/**
 * The meta keys of a stored head (model/bounded-meta.ts): folding meta writes on the head as a
 * store keeps it (the first MAX_META keys with their writers, the count, stored keys looked up
 * when the head does not show them) gives, made whole from the keys kept beside it, the same
 * thread as folding them on the whole head, whatever the order of the writes' stamps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { completeOp, createOp, emptyThread, step, type ThreadCore } from '../../src/model/index.js';
import { MAX_META, boundMeta, missingMeta, withAllMeta, withMeta, type StoredMeta } from '../../src/model/bounded-meta.js';
import { T0, THREAD_ID } from '../helpers/model-arbitraries.js';
import { fcRuns } from '../helpers/fc-runs.js';

/** A meta write: a key of a small pool (so keys repeat), a value or a deletion, a writer and a time (not in order). */
const writeArb = fc.record({
  key: fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `k${i}`), '__proto__', 'a.b'),
  value: fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }), fc.constant({ x: [1, 'y'] })),
  client: fc.constantFrom('a', 'b', 'c'),
  dt: fc.integer({ min: -5000, max: 5000 }),
});

test('folding meta writes on the bounded head agrees with the whole head, keys kept beside it once each', () => {
  fc.assert(
    fc.property(fc.array(fc.array(writeArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 30 }), (commits) => {
      const { messages: _m, ...empty } = emptyThread(THREAD_ID);
      const start: ThreadCore = step(empty, createOp(THREAD_ID, { meta: { seed: 1 } }, { clientId: 'a', now: T0 })).core;
      let whole = start;
      let stored = start;
      const side = new Map<string, StoredMeta>([['seed', { key: 'seed', value: 1, stamp: start.clock.stamps['meta.seed']! }]]);
      let now = T0;
      for (const writes of commits) {
        let head = stored;
        for (const w of writes) {
          now += 10;
          // Each writer stamps from its own clock: writes arrive out of stamp order.
          const base = { ...start, v: whole.v };
          const op = { ...completeOp(base, { type: 'meta:set', key: w.key, value: w.value }, { clientId: w.client, now: now + w.dt, messageAt: () => undefined, indexOf: () => undefined }), v: whole.v + 1 };
          whole = step(whole, op).core;
          const found = missingMeta(head, [w.key]).flatMap((k) => (side.has(k) ? [side.get(k)!] : []));
          const r = step(withMeta(head, found), op);
          head = r.core;
          if (r.effect.kind === 'meta') side.set(r.effect.meta.key, r.effect.meta);
        }
        stored = boundMeta(head);
        assert.ok(Object.keys(stored.clock.stamps).filter((k) => k.startsWith('meta.')).length <= MAX_META);
        const stamped = Object.keys(whole.clock.stamps).filter((k) => k.startsWith('meta.')).length;
        assert.equal(stored.clock.metaCount ?? stamped, stamped);
        assert.deepEqual(withAllMeta(stored, [...side.values()]), whole);
      }
    }),
    { numRuns: fcRuns(300) },
  );
});
