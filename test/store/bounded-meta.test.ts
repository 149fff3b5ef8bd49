/**
 * Meta-heavy threads through a store: the head row keeps at most MAX_META meta keys
 * (model/bounded-meta.ts), so its size does not grow with the keys; `getThread`, `info` and list
 * rows still show every key; a store written before the keys were kept beside the head opens with
 * every key and writer (migration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { foldOps, type Delta, type ThreadID } from '../../src/model/index.js';
import { MAX_META } from '../../src/model/bounded-meta.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/index.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';
import { WITHOUT_TITLE_COLUMNS } from '../helpers/schema-downgrade.js';

const backendOf = (store: Store): StorageBackend => (store as unknown as { core: { backend: StorageBackend } }).core.backend;
const headBytes = async (store: Store, id: ThreadID) => Buffer.byteLength(JSON.stringify(await backendOf(store).getHead(id)));

async function setKeys(store: Store, id: ThreadID, n: number): Promise<void> {
  const deltas: Delta[] = Array.from({ length: n }, (_, i) => ({ type: 'meta:set', key: `key-${i}`, value: { i } }));
  for (let i = 0; i < deltas.length; i += 500) await store.append(id, deltas.slice(i, i + 500));
}

for (const kind of KINDS) {
  describe(`meta keys beside the head (${kind})`, () => {
    test('a thread with 10,000 meta keys has a stored head the size of one with 10, and shows every key', () =>
      withStore(kind, async ({ store, open }) => {
        const few = await store.createThread({ title: 'few', meta: { importKey: 'x:1' } });
        const many = await store.createThread({ title: 'many', meta: { importKey: 'x:2' } });
        await setKeys(store, few.id, 10);
        await setKeys(store, many.id, 10_000);
        await store.append(many.id, [{ type: 'meta:set', key: 'key-9999', value: null }, { type: 'meta:set', key: 'zz-last', value: 'z' }]);
        await store.append(few.id, { type: 'user:message', message: { content: 'hello' } });
        await store.append(many.id, { type: 'user:message', message: { content: 'hello' } });
        const small = await headBytes(store, few.id);
        const big = await headBytes(store, many.id);
        assert.ok(big - small < 100, `${big} bytes against ${small}`);
        const reader = kind === 'sqlite' ? await open({ cacheSize: 0 }) : store;
        const whole = (await reader.getThread(many.id))!;
        const { messages: _m, ...shown } = whole;
        const { messages: _f, ...folded } = foldOps(many.id, await reader.history(many.id));
        assert.deepEqual(shown, folded);
        assert.equal(Object.keys(whole.meta!).length, 10_000 + 1);
        assert.equal(whole.meta!['zz-last'], 'z');
        assert.deepEqual((await reader.info(many.id))!.meta, whole.meta);
        const row = (await reader.listThreads()).threads.find((t) => t.id === many.id)!;
        assert.deepEqual(row.meta, whole.meta, 'a list row shows every key');
        // Set again, from a store that has not cached the thread: last writer wins.
        await reader.append(many.id, { type: 'meta:set', key: 'key-5000', value: 'again' });
        assert.equal((await reader.info(many.id))!.meta!['key-5000'], 'again');
        assert.equal((await backendOf(reader).getHead(many.id))!.clock.metaCount, 10_000 + 2);
      }));
  });
}

describe('a store made before meta keys were kept beside the head', () => {
  test('opens with every key and writer of its whole heads, and bounds a head at its next write (migration)', () =>
    withStore('sqlite', async ({ store, open, dir }) => {
      const { id } = await store.createThread({ meta: { 'a.b': { z: 1, a: [1e21, 0.30000000000000004, 'q"'] } } });
      const n = MAX_META + 5;
      for (let i = 0; i < n; i++) await store.append(id, { type: 'meta:set', key: `k${i}`, value: i });
      await store.append(id, { type: 'meta:set', key: 'k1', value: null });
      const whole = foldOps(id, await store.history(id));
      await store.close();
      const step = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE IF NOT EXISTS thread_meta'));
      const db = new Database(join(dir!, 'skein.db'));
      const { messages, ...core } = whole;
      const row = db.prepare('SELECT head FROM threads WHERE id = ?').get(id) as { head: string };
      const old = { ...core, messageCount: messages.length, updated: (JSON.parse(row.head) as { updated: number }).updated };
      db.prepare('UPDATE threads SET head = ? WHERE id = ?').run(JSON.stringify(old), id);
      db.exec(`DROP TABLE thread_meta; ${WITHOUT_TITLE_COLUMNS}`);
      db.pragma(`user_version = ${step}`);
      db.close();
      const again = await open({ cacheSize: 0 });
      assert.deepStrictEqual(await again.getThread(id), whole);
      assert.equal(Object.keys((await backendOf(again).getHead(id))!.meta!).length, n, 'the head stays whole until written');
      await again.append(id, { type: 'meta:set', key: 'k3', value: 'newer' });
      const head = (await backendOf(again).getHead(id))!;
      assert.ok(Object.keys(head.clock.stamps).filter((k) => k.startsWith('meta.')).length <= MAX_META);
      assert.deepStrictEqual(await again.getThread(id), foldOps(id, await again.history(id)));
      assert.deepEqual((await again.info(id))!.meta!['a.b'], { z: 1, a: [1e21, 0.30000000000000004, 'q"'] });
    }));
});
