import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { foldOps, type Delta, type Store, type ThreadID } from '../../src/index.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';

const say = (content: string): Delta => ({ type: 'user:message', message: { content } });

/** How many threads the store's memory tier holds (a private detail, read only to check its bound). */
function cached(store: Store): number {
  return store['core'].cache.size;
}

describe('memory tier', () => {
  for (const kind of KINDS)
    test(`stays within cacheSize and every read stays correct (${kind})`, () =>
      withStore(
        kind,
        async ({ store }) => {
          const ids: ThreadID[] = [];
          for (let i = 0; i < 10; i++) {
            const t = await store.createThread({ title: `t${i}` });
            await store.append(t.id, [say(`a${i}`), say(`b${i}`)]);
            ids.push(t.id);
            assert.ok(cached(store) <= 3, `holds ${cached(store)} threads`);
          }
          for (let round = 0; round < 3; round++)
            for (const id of ids) {
              if (round === 1) await store.append(id, say(`round ${round}`));
              assert.deepEqual(await store.getThread(id), foldOps(id, await store.history(id)));
              assert.ok(cached(store) <= 3, `holds ${cached(store)} threads`);
            }
        },
        { cacheSize: 3 },
      ));

  test('never serves stale data when another store on the same directory writes', () =>
    withStore('sqlite', async ({ store: a, open }) => {
      const b = await open();
      const t = await a.createThread({ title: 'shared' });
      await a.append(t.id, say('from a'));
      const t2 = (await a.getThread(t.id))!;
      assert.equal(t2.v, 2);
      // b writes behind a's back: a's memory tier still holds v2.
      await b.append(t.id, [say('from b'), { type: 'title', value: 'renamed by b' }]);
      const fromB = (await b.getThread(t.id))!;
      assert.equal(fromB.v, 4);
      assert.deepEqual(await a.getThread(t.id), fromB);
      assert.equal((await a.loadPage(t.id)).totalMessages, 2);
      assert.equal((await a.listThreads()).threads[0]!.title, 'renamed by b');
      assert.deepEqual(await a.getThread(t.id, { atVersion: 2 }), t2);
      // a writes on the new head, then b again, alternating: each side always sees the other.
      for (let i = 0; i < 4; i++) {
        const [writer, reader] = i % 2 ? [b, a] : [a, b];
        const head = (await reader.getThread(t.id))!;
        const { v } = await writer.append(t.id, say(`turn ${i}`), { expectedVersion: head.v });
        const written = (await writer.getThread(t.id))!;
        assert.equal(written.v, v);
        assert.deepEqual(await reader.getThread(t.id), written);
      }
      const final = (await a.getThread(t.id))!;
      assert.deepEqual(
        final.messages.map((m) => m.content),
        ['from a', 'from b', 'turn 0', 'turn 1', 'turn 2', 'turn 3'],
      );
      assert.deepEqual(final, foldOps(t.id, await b.history(t.id)));
    }));
});
