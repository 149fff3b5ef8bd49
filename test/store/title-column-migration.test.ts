/**
 * SQLite migration 10: a thread's title and visible message count as columns beside its head
 * JSON, and the search title trigger on the title column. A store written by the schema before it
 * opens with the columns filled from the heads; later appends keep the count, a retitle replaces
 * the title's search document, and an append that keeps the title leaves it alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteBackend, Store, ThreadID } from '../../src/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { tempStore } from '../helpers/workspace.js';
import { WITHOUT_TITLE_COLUMNS } from '../helpers/schema-downgrade.js';

const backendOf = (s: Store) => s['core'].backend as SqliteBackend;
const user = (content: string) => ({ type: 'user:message' as const, message: { content } });
type Row = { title: string | null; msgs: number; headTitle: string | null; headCount: number };
const rowOf = (s: Store, id: ThreadID) =>
  backendOf(s)
    .db.prepare("SELECT title, msgs, json_extract(head, '$.title') AS headTitle, json_extract(head, '$.messageCount') AS headCount FROM threads WHERE id = ?")
    .get(id) as Row;
const titleHits = async (s: Store, q: string) => (await s.search(q)).results.filter((r) => r.messageId === null).map((r) => r.threadId);

/** Turns a database back into the schema before migration 10: no columns, the trigger that compared the heads' titles. */
function downgrade(file: string): void {
  const db = new Database(file);
  const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'search_title_changed'").get() as { sql: string };
  const old = sql.replace(
    'AFTER UPDATE OF title ON threads WHEN NEW.title IS NOT OLD.title',
    "AFTER UPDATE OF head ON threads WHEN json_extract(NEW.head, '$.title') IS NOT json_extract(OLD.head, '$.title')",
  );
  assert.notEqual(old, sql);
  db.exec(WITHOUT_TITLE_COLUMNS);
  db.exec(old);
  db.pragma(`user_version = ${SQLITE_MIGRATIONS.length - 1}`);
  db.close();
}

test('a store made before the title and count columns opens with them filled, and search titles follow retitles', async () => {
  const t = await tempStore();
  try {
    const a = await t.store.createThread({ title: 'walrus plans' });
    await t.store.append(a.id, [user('one'), user('two'), user('three'), { type: 'thread:truncate', fromIndex: 2 }]);
    const b = await t.store.createThread({});
    await t.store.append(b.id, user('untitled'));
    await t.store.close();
    downgrade(join(t.dir, 'skein.db'));

    await t.reopen();
    assert.equal(backendOf(t.store).db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
    assert.deepEqual(rowOf(t.store, a.id), { title: 'walrus plans', msgs: 2, headTitle: 'walrus plans', headCount: 2 });
    assert.deepEqual(rowOf(t.store, b.id), { title: null, msgs: 1, headTitle: null, headCount: 1 });

    // The count carries on from the filled column.
    const after = await t.store.append(a.id, user('four'));
    assert.equal(after.messageCount, 3);
    assert.equal(rowOf(t.store, a.id).msgs, 3);
    assert.equal((await t.store.loadPage(a.id, { limit: 10 })).totalMessages, 3);

    // An append keeps the title's document; a retitle replaces it; a first title adds one.
    assert.deepEqual(await titleHits(t.store, 'walrus'), [a.id]);
    await t.store.append(a.id, { type: 'title', value: 'narwhal plans' });
    await t.store.append(b.id, { type: 'title', value: 'walrus at last' });
    assert.deepEqual(rowOf(t.store, a.id).title, 'narwhal plans');
    assert.deepEqual(await titleHits(t.store, 'narwhal'), [a.id]);
    assert.deepEqual(await titleHits(t.store, 'walrus'), [b.id]);
    assert.equal((await t.store.reindex()).documents, 3 + 1 + 1 + 1, 'the same documents as a rebuild: three visible messages and one, two titles');
    assert.deepEqual(await titleHits(t.store, 'walrus'), [b.id]);
  } finally {
    await t.dispose();
  }
});
