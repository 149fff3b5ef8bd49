/**
 * The memory tier's time-to-live: each kind of thread stays cached for its policy's
 * `memoryTtlMs` after use and no longer (sub-agents 60 s, main threads 5 min by default), and
 * reads after expiry are served, correctly, from the local tier.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { foldOps, type Store, type ThreadID } from '../../src/index.js';
import { LruCache } from '../../src/store/lru-cache.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';

/** Whether the store's memory tier holds the thread now (a private detail, read only to check expiry). */
function isCached(store: Store, id: ThreadID): boolean {
  return store['core'].cache.get(id) !== undefined;
}

describe('memory tier TTL', () => {
  test('an entry lives exactly its TTL; reads refresh recency, not expiry', () => {
    let now = 1_000;
    const cache = new LruCache<string, number>(10, () => now);
    cache.set('a', 1, 100);
    now = 1_099;
    assert.equal(cache.get('a'), 1);
    now = 1_100;
    assert.equal(cache.get('a'), undefined, 'expired at its TTL, even though it was read');
    assert.equal(cache.size, 0, 'an expired entry is dropped when found');
    cache.set('b', 2, 0);
    assert.equal(cache.get('b'), undefined, 'a TTL of 0 is not cached');
  });

  for (const kind of KINDS)
    test(`sub-agent threads leave the memory tier after 60 s, main threads after 5 min (${kind})`, async () => {
      let clock = Date.UTC(2024, 0, 1);
      await withStore(
        kind,
        async ({ store }) => {
          const main = await store.createThread({ title: 'main' });
          const sub = await store.spawnSubAgentThread(main.id, 'look around');
          await store.getThread(main.id);
          await store.getThread(sub.id);
          assert.ok(isCached(store, main.id) && isCached(store, sub.id));

          clock += 60_000;
          assert.equal(isCached(store, sub.id), false, 'the sub-agent expired');
          assert.equal(isCached(store, main.id), true, 'the main thread is still cached');
          assert.deepEqual(await store.getThread(sub.id), foldOps(sub.id, await store.history(sub.id)), 'read again from the local tier');

          clock += 240_000;
          assert.equal(isCached(store, main.id), false, 'the main thread expired after 5 min');
          assert.deepEqual(await store.getThread(main.id), foldOps(main.id, await store.history(main.id)));
        },
        { now: () => clock },
      );
    });
});
