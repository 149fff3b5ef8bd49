/**
 * Link-heavy threads through a store: the head row keeps at most MAX_LINKS entries of each link
 * list (model/bounded-links.ts), so its size does not grow with the links; `getThread` and `info`
 * still show every link in canonical order; a write and a list row answer counts; a store written
 * before the links were kept beside the head opens with every link (migration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { foldOps, newThreadId, type Delta, type ThreadID } from '../../src/model/index.js';
import { MAX_LINKS } from '../../src/model/bounded-links.js';
import { compareKeys } from '../../src/model/order-key.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/index.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';
import { WITHOUT_TITLE_COLUMNS } from '../helpers/schema-downgrade.js';

const backendOf = (store: Store): StorageBackend => (store as unknown as { core: { backend: StorageBackend } }).core.backend;

/** The stored head row's size (its JSON, as the backend keeps it). */
const headBytes = async (store: Store, id: ThreadID) => Buffer.byteLength(JSON.stringify(await backendOf(store).getHead(id)));

/** Links `n` sub-agents and `n` mentions to the thread, 500 per append; answers the last append. */
async function link(store: Store, id: ThreadID, n: number) {
  const deltas: Delta[] = [];
  for (let i = 0; i < n; i++) {
    deltas.push({ type: 'child:link', threadId: newThreadId() });
    deltas.push({ type: 'mention:link', threadId: newThreadId(), messageId: `m-${i}` });
  }
  let last;
  for (let i = 0; i < deltas.length; i += 500) last = await store.append(id, deltas.slice(i, i + 500));
  return last!;
}

for (const kind of KINDS) {
  describe(`links beside the head (${kind})`, () => {
    test('a thread with 10,000 sub-agents and 10,000 mentions has a stored head the size of one with 10', () =>
      withStore(kind, async ({ store }) => {
        const few = await store.createThread({ title: 'few' });
        const many = await store.createThread({ title: 'many' });
        await link(store, few.id, 10);
        const last = await link(store, many.id, 10_000);
        // A message appended after: both heads are written by the same path.
        await store.append(few.id, { type: 'user:message', message: { content: 'hello' } });
        await store.append(many.id, { type: 'user:message', message: { content: 'hello' } });
        const small = await headBytes(store, few.id);
        const big = await headBytes(store, many.id);
        // The same fields, a few digits longer counts and versions: within 100 bytes.
        assert.ok(big - small < 100, `${big} bytes against ${small}`);
        // The write answered counts, not lists.
        assert.equal(last.childCount, 10_000);
        assert.equal(last.linkCount, 10_000);
        assert.ok(!('childThreadIDs' in last) && !('links' in last));
        // Every link is still there, in canonical order.
        const whole = (await store.getThread(many.id))!;
        assert.equal(whole.childThreadIDs.length, 10_000);
        assert.equal(whole.links!.length, 10_000);
        assert.deepEqual(whole.childThreadIDs, [...whole.childThreadIDs].sort(compareKeys));
        const info = (await store.info(many.id))!;
        assert.deepEqual(info.childThreadIDs, whole.childThreadIDs);
        assert.deepEqual(info.links, whole.links);
        const { messages: _m, ...folded } = foldOps(many.id, await store.history(many.id));
        const { messages: _w, ...shown } = whole;
        assert.deepEqual(shown, folded);
        // A list row has counts and no lists.
        const row = (await store.listThreads()).threads.find((t) => t.id === many.id)!;
        assert.deepEqual([row.childCount, row.summaryCount, row.linkCount], [10_000, 0, 10_000]);
        assert.ok(!('childThreadIDs' in row));
      }));

    test('a link again is one link; getThread and info show every link after the store reopens', () =>
      withStore(kind, async ({ store, open }) => {
        const { id } = await store.createThread({});
        const children = Array.from({ length: MAX_LINKS + 4 }, () => newThreadId()).sort(compareKeys);
        for (const c of children) await store.append(id, { type: 'child:link', threadId: c });
        // The last id sorts last: the head row left it out. Linked again, from a store that has not cached the thread.
        const other = kind === 'sqlite' ? await open({ cacheSize: 0 }) : store;
        const again = await other.append(id, { type: 'child:link', threadId: children.at(-1)! });
        assert.equal(again.childCount, children.length);
        const info = (await other.info(id))!;
        assert.deepEqual(info.childThreadIDs, children);
        assert.deepEqual((await other.getThread(id))!.childThreadIDs, children);
        const tree = await other.getThreadTree(id);
        assert.equal(tree.children.length, 0, 'the children are not threads of this store');
        assert.equal((await backendOf(other).getHead(id))!.childThreadIDs.length, MAX_LINKS);
      }));

    test('messages naming a thread past MAX_LINKS mentions still link it once each', () =>
      withStore(kind, async ({ store }) => {
        const { id } = await store.createThread({ title: 'named' });
        const { id: other } = await store.createThread({ title: 'naming' });
        const n = MAX_LINKS + 3;
        for (let i = 0; i < n; i++) await store.append(other, { type: 'user:message', message: { content: `see ${id} (${i})` } });
        const info = (await store.info(id))!;
        assert.equal(info.links!.length, n);
        assert.equal((await store.history(id)).filter((op) => op.type === 'mention:link').length, n);
        assert.equal((await backendOf(store).getHead(id))!.links!.length, MAX_LINKS);
      }));
  });
}

describe('a store made before links were kept beside the head', () => {
  test('opens with every link of its whole heads, and bounds a head at its next write (migration)', () =>
    withStore('sqlite', async ({ store, open, dir }) => {
      const { id } = await store.createThread({});
      const n = MAX_LINKS + 5;
      for (let i = 0; i < n; i++)
        await store.append(id, [
          { type: 'child:link', threadId: newThreadId() },
          { type: 'summary:link', threadId: newThreadId() },
          { type: 'mention:link', threadId: newThreadId(), messageId: `m-${i}` },
        ]);
      const whole = foldOps(id, await store.history(id));
      await store.close();
      // The database as written before: no side table, every link in the head row.
      const step = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE IF NOT EXISTS thread_links'));
      const db = new Database(join(dir!, 'skein.db'));
      const { messages, ...core } = whole;
      const row = db.prepare('SELECT head FROM threads WHERE id = ?').get(id) as { head: string };
      const old = { ...core, messageCount: messages.length, updated: (JSON.parse(row.head) as { updated: number }).updated };
      db.prepare('UPDATE threads SET head = ? WHERE id = ?').run(JSON.stringify(old), id);
      db.exec(`DROP TABLE thread_links; ${WITHOUT_TITLE_COLUMNS}`);
      db.pragma(`user_version = ${step}`);
      db.close();
      const again = await open({ cacheSize: 0 });
      assert.deepStrictEqual(await again.getThread(id), whole);
      assert.equal((await backendOf(again).getHead(id))!.childThreadIDs.length, n, 'the head stays whole until written');
      const linked = await again.append(id, { type: 'child:link', threadId: whole.childThreadIDs[0]! });
      assert.equal(linked.childCount, n, 'a link it had already');
      const head = (await backendOf(again).getHead(id))!;
      assert.equal(head.childThreadIDs.length, MAX_LINKS);
      assert.equal(head.links!.length, MAX_LINKS);
      assert.deepStrictEqual(await again.getThread(id), foldOps(id, await again.history(id)));
      assert.deepEqual((await again.info(id))!.links, whole.links);
    }));
});
