/**
 * The lean write path's schema step (SQLite migration 6): op sequence numbers without
 * AUTOINCREMENT, no `threads(updated)` index, no search queue row per append. A store written by
 * the schema before it opens with every read unchanged, its queued search rows still indexed, and
 * no sequence number ever given twice, even after the newest ops were deleted.
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
const seqs = async (s: Store) => (await backendOf(s).opsSince(0, 10_000)).map((r) => [r.seq, r.op.opId, r.op.v] as const);

/** The step before the lean write path: what the backend created up to migration 4. */
const STEP = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes("'seq_floor'"));

/**
 * Turns a database back into the schema before migration 6, as that code left it: `ops` with
 * AUTOINCREMENT (whose counter is `counter`, above the highest row: newest ops were deleted),
 * the `threads(updated)` index, and the search trigger that queued every visible message (and
 * without what later steps added: the title and count columns of migration 10).
 */
function downgrade(file: string, counter: number, unindexed: { tid: number; key: string }[]): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE ops_old (seq INTEGER PRIMARY KEY AUTOINCREMENT, tid INTEGER NOT NULL, v INTEGER NOT NULL, op_id TEXT NOT NULL, body TEXT NOT NULL);
    INSERT INTO ops_old SELECT seq, tid, v, op_id, body FROM ops;
    DROP TABLE ops;
    ALTER TABLE ops_old RENAME TO ops;
    CREATE UNIQUE INDEX ops_tid_v ON ops(tid, v);
    CREATE UNIQUE INDEX ops_tid_op ON ops(tid, op_id);
    CREATE INDEX threads_updated ON threads(updated);
    DROP TRIGGER search_message_queued;
    CREATE TRIGGER search_message_queued AFTER INSERT ON messages WHEN NEW.hidden = 0 BEGIN
      INSERT OR IGNORE INTO search_pending (tid, key) VALUES (NEW.tid, NEW.key);
    END;
    DROP TABLE store_meta;
    ${WITHOUT_TITLE_COLUMNS}`);
  db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'ops'").run(counter);
  // Messages appended since the last search: queued, without documents.
  for (const { tid, key } of unindexed) {
    db.prepare('DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE tid = ? AND key = ?)').run(tid, key);
    db.prepare('DELETE FROM search_docs WHERE tid = ? AND key = ?').run(tid, key);
    db.prepare('INSERT INTO search_pending (tid, key) VALUES (?, ?)').run(tid, key);
  }
  db.pragma(`user_version = ${STEP}`);
  db.close();
}

test('a store made by the schema before the lean write path opens with every read unchanged', async () => {
  const t = await tempStore();
  try {
    const a = await t.store.createThread({ title: 'walrus thread' });
    await t.store.append(a.id, [user('walrus one'), { type: 'assistant:message', message: { content: 'walrus two', toolCalls: [{ id: 'c1', name: 'bash', input: {} }] } }]);
    await t.store.append(a.id, [user('walrus three'), { type: 'thread:truncate', fromIndex: 2 }, user('narwhal four')]);
    const b = await t.store.createThread({ title: 'other' });
    await t.store.append(b.id, user('narwhal five'));
    assert.equal((await t.store.search('walrus')).results.length, 3, 'indexed while on the new schema');
    const before = { a: await t.store.getThread(a.id), b: await t.store.getThread(b.id), page: await t.store.loadPage(a.id, { limit: 2 }), seqs: await seqs(t.store) };
    const maxSeq = before.seqs.at(-1)![0];
    const db = backendOf(t.store).db;
    const tidOf = (id: ThreadID) => (db.prepare('SELECT tid FROM threads WHERE id = ?').get(id) as { tid: number }).tid;
    const keyOf = (content: string) => before.a!.messages.concat(before.b!.messages).find((m) => m.content === content)!.key!;
    const unindexed = [{ tid: tidOf(a.id), key: keyOf('narwhal four') }, { tid: tidOf(b.id), key: keyOf('narwhal five') }];
    await t.store.close();
    downgrade(join(t.dir, 'skein.db'), maxSeq + 5, unindexed);

    await t.reopen();
    const raw = backendOf(t.store).db;
    assert.equal(raw.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
    assert.equal(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'threads_updated'").get(), undefined);
    assert.equal(raw.prepare("SELECT 1 FROM sqlite_sequence WHERE name = 'ops'").get(), undefined);
    assert.deepEqual(await t.store.getThread(a.id), before.a);
    assert.deepEqual(await t.store.getThread(b.id), before.b);
    assert.deepEqual(await t.store.loadPage(a.id, { limit: 2 }), before.page);
    assert.deepEqual(await seqs(t.store), before.seqs, 'the same ops under the same sequence numbers');
    assert.equal(await backendOf(t.store).maxSeq(), maxSeq + 5, 'the counter carries over');

    // No number the old counter gave out is given again.
    const written = await t.store.append(b.id, user('walrus six'));
    const last = (await seqs(t.store)).at(-1)!;
    assert.deepEqual(last, [maxSeq + 6, written.ops[0]!.opId, written.v]);
    // The rows queued by the old trigger and the new append are all found.
    assert.equal((await t.store.search('narwhal')).results.filter((r) => r.messageId !== null).length, 2);
    assert.equal((await t.store.search('walrus')).results.filter((r) => r.messageId !== null).length, 3, 'hidden stays out');
    assert.equal((await t.store.reindex()).documents, 2 + 5);
  } finally {
    await t.dispose();
  }
});

test('sequence numbers are never given twice, even when the newest ops are deleted', async () => {
  const t = await tempStore();
  try {
    const a = await t.store.createThread({});
    await t.store.append(a.id, user('first'));
    const b = await t.store.createThread({});
    const { v } = await t.store.append(b.id, [user('newest'), user('newest too')]);
    const top = (await seqs(t.store)).at(-1)![0];
    // Archiving drops the thread's ops (here the newest of the store): the counter does not go back.
    await backendOf(t.store).evict(b.id, v, Date.now());
    assert.equal(await backendOf(t.store).maxSeq(), top);
    const written = await t.store.append(a.id, user('after'));
    assert.deepEqual((await seqs(t.store)).at(-1), [top + 1, written.ops[0]!.opId, written.v]);
    // The same across a reopen.
    await t.store.close();
    await t.reopen();
    await t.store.append(a.id, user('after reopen'));
    assert.equal((await seqs(t.store)).at(-1)![0], top + 2);
  } finally {
    await t.dispose();
  }
});
