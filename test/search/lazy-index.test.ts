/**
 * On SQLite a message is indexed for search in a batch before the next search, not in its own
 * commit. Whatever happens between the append and that search (another process searching, a
 * truncation, an archive that moves the thread's rows out, a view rewrite) the search answers
 * what it would have answered had every message been indexed at once. The appends and searches
 * of the last test are in different processes (the built command line beside a store held open).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type SqliteBackend } from '../../src/index.js';
import { skein, skeinJson } from '../helpers/cli.js';
import { tempStore } from '../helpers/workspace.js';

const DAY = 86_400_000;
const found = async (s: { search(q: string): Promise<{ results: { messageId: string | null }[] }> }, q: string) =>
  (await s.search(q)).results.filter((r) => r.messageId !== null).length;

test('messages appended without a search between are found, by this store and another; hidden ones are not', async () => {
  const t = await tempStore();
  try {
    const th = await t.store.createThread();
    await t.store.append(th.id, [
      { type: 'user:message', message: { content: 'zephyr alpha' } },
      { type: 'assistant:message', message: { content: 'zephyr beta' } },
      { type: 'user:message', message: { content: 'zephyr gamma' } },
    ]);
    const db = (t.store['core'].backend as SqliteBackend).db;
    const docs = () => (db.prepare("SELECT count(*) AS n FROM search_docs WHERE key <> ''").get() as { n: number }).n;
    assert.equal(docs(), 0, 'not yet indexed: the appends wrote nothing for search');
    await t.store.append(th.id, { type: 'thread:truncate', fromIndex: 2 });
    const other = await openStore({ dir: t.dir });
    try {
      assert.equal(await found(other, 'zephyr'), 2, 'another store sees them; the hidden one stays out');
    } finally {
      await other.close();
    }
    assert.equal(await found(t.store, 'zephyr'), 2);
    assert.equal((db.prepare('SELECT count(*) AS n FROM search_pending').get() as { n: number }).n, 0);
    assert.equal(docs(), 2);
    assert.equal((await t.store.reindex()).documents, 2);
  } finally {
    await t.dispose();
  }
});

test('a thread archived before any search is still found, and once, after its restore', async () => {
  let clock = Date.UTC(2024, 0, 1);
  const t = await tempStore({ now: () => clock });
  try {
    const th = await t.store.createThread();
    await t.store.append(th.id, { type: 'user:message', message: { content: 'quokka archived soon' } });
    clock += 31 * DAY;
    assert.deepEqual((await t.store.archiveInactiveThreads()).archived, [th.id]);
    assert.equal(await found(t.store, 'quokka'), 1);
    await t.store.restoreThread(th.id);
    assert.equal(await found(t.store, 'quokka'), 1);
  } finally {
    await t.dispose();
  }
});

test('an append in another process is found by the next search of a store held open, and the other way round', async () => {
  const t = await tempStore();
  try {
    const th = await t.store.createThread({ title: 'two processes' });
    await t.store.append(th.id, { type: 'user:message', message: { content: 'searched first' } });
    assert.equal(await found(t.store, 'searched'), 1, 'this store has searched: its index is caught up');

    const run = await skein(['append', th.id, '--dir', t.dir, '--role', 'user', '--content', 'narwhal written by another process']);
    assert.equal(run.code, 0, run.stderr);
    const hits = (await t.store.search('narwhal')).results;
    assert.deepEqual(
      hits.map((r) => [r.threadId, r.snippet]),
      [[th.id, 'narwhal written by another process']],
    );

    await t.store.append(th.id, { type: 'assistant:message', message: { content: 'okapi written by the open store' } });
    const page = await skeinJson<{ results: { threadId: string; messageId: string | null }[] }>(['search', 'okapi', '--dir', t.dir]);
    assert.deepEqual(page.results.map((r) => r.threadId), [th.id], 'another process finds what this one appended, without a search here first');
    assert.equal(await found(t.store, 'narwhal OR okapi'), 2);
  } finally {
    await t.dispose();
  }
});
