/**
 * On SQLite the messages appends leave unindexed are indexed before the next search in slices,
 * each its own transaction, yielding to the event loop between them: other work goes on during a
 * long catch-up, what a search finds is unchanged, concurrent searches index once, a process
 * killed between slices leaves a store the next search completes, and `skein import` pays for
 * the catch-up itself, with progress on a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type SearchIndexProgress, type SqliteBackend, type Store, type ThreadID } from '../../src/index.js';
import { SEARCH_SLICE } from '../../src/store/sqlite/search-catch-up.js';
import { spawnChild } from '../helpers/child-process.js';
import { tempDir, tempStore } from '../helpers/workspace.js';
import { jsonl, user } from '../import/cc-records.js';

/** Several slices' worth of messages. */
const N = Math.round(SEARCH_SLICE * 3.5);

/** Appends n messages, each with its own word `markerI`, 500 per append, 1,000 per thread. */
async function appendPending(store: Store, n: number): Promise<void> {
  let id: ThreadID | undefined;
  for (let i = 0; i < n; i += 500) {
    if (i % 1000 === 0) id = (await store.createThread({ title: `thread ${i}` })).id;
    const count = Math.min(500, n - i);
    await store.append(
      id!,
      Array.from({ length: count }, (_, j) => ({ type: 'user:message' as const, message: { content: `pending message marker${i + j}` } })),
    );
  }
}

const dbOf = (store: Store) => (store['core'].backend as SqliteBackend).db;
const count = (store: Store, sql: string) => (dbOf(store).prepare(sql).get() as { n: number }).n;
/** Message documents, and whether each was inserted once (ids never given twice: none was replaced). */
const messageDocs = (store: Store) => count(store, "SELECT count(*) AS n FROM search_docs WHERE key <> ''");
const indexedOnce = (store: Store) => count(store, 'SELECT count(*) - max(id) AS n FROM search_docs') === 0 && count(store, 'SELECT count(*) AS n FROM search_fts') === count(store, 'SELECT count(*) AS n FROM search_docs');
const pendingEntries = (store: Store) =>
  count(store, "SELECT (SELECT count(*) FROM search_pending) + (SELECT count(*) FROM ops WHERE seq > (SELECT n FROM store_meta WHERE name = 'search_mark')) AS n");
const hits = async (store: Store, q: string) => (await store.search(q)).results.filter((r) => r.messageId !== null).length;

test('a catch-up of several slices indexes every message: the first, a middle and the last are found', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    assert.equal(messageDocs(t.store), 0, 'the appends indexed nothing');
    for (const i of [0, Math.floor(N / 2), N - 1]) assert.equal(await hits(t.store, `marker${i}`), 1, `marker${i}`);
    assert.equal(messageDocs(t.store), N);
    assert.equal(pendingEntries(t.store), 0);
    assert.ok(indexedOnce(t.store));
  } finally {
    await t.dispose();
  }
});

test('while a search catches up many messages, the event loop keeps turning: work scheduled meanwhile runs before it answers', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    const order: string[] = [];
    const search = t.store.search('marker7').then((r) => order.push(`search ${r.results.length}`));
    setImmediate(() => order.push('other work'));
    await search;
    assert.deepEqual(order, ['other work', 'search 1']);
  } finally {
    await t.dispose();
  }
});

test('two searches started together both find everything, and each message is indexed once', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    const [first, last] = await Promise.all([hits(t.store, 'marker0'), hits(t.store, `marker${N - 1}`)]);
    assert.deepEqual([first, last], [1, 1]);
    assert.equal(messageDocs(t.store), N);
    assert.ok(indexedOnce(t.store), 'no document was indexed twice');
  } finally {
    await t.dispose();
  }
});

test('store.indexSearch reports progress up to everything, then nothing is left for a search to index; with nothing pending it reports nothing', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    const seen: SearchIndexProgress[] = [];
    await t.store.indexSearch({ onProgress: (p) => seen.push(p) });
    assert.deepEqual(seen[0], { done: 0, total: seen[0]!.total });
    assert.ok(seen.length >= 4, 'a report after each slice');
    assert.equal(seen.at(-1)!.done, seen.at(-1)!.total);
    assert.equal(pendingEntries(t.store), 0);
    assert.equal(messageDocs(t.store), N);
    const again: SearchIndexProgress[] = [];
    await t.store.indexSearch({ onProgress: (p) => again.push(p) });
    assert.deepEqual(again, []);
  } finally {
    await t.dispose();
  }
});

test('closing the store during a catch-up stops it at the next slice: the waiting search is refused, the next store finds everything', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    const search = t.store.search('marker0');
    await t.store.close();
    await assert.rejects(search, { code: 'CLOSED' });
    await t.reopen();
    const partly = messageDocs(t.store);
    assert.ok(partly > 0 && partly < N, `stopped part way (${partly} of ${N})`);
    for (const i of [0, N - 1]) assert.equal(await hits(t.store, `marker${i}`), 1, `marker${i}`);
    assert.ok(indexedOnce(t.store));
  } finally {
    await t.dispose();
  }
});

test('a process killed between two slices of a catch-up leaves a store whose next search finds everything, once', async () => {
  const t = await tempStore();
  try {
    await appendPending(t.store, N);
    await t.store.close();
    const child = spawnChild('search-index-child.ts', [t.dir, String(2 * SEARCH_SLICE)]);
    assert.equal((await child.exited).signal, 'SIGKILL', child.stderr());
    await t.reopen();
    const partly = messageDocs(t.store);
    assert.ok(partly >= 2 * SEARCH_SLICE - 100 && partly < N, `the killed process indexed part of it (${partly} of ${N})`);
    for (const i of [0, Math.floor(N / 2), N - 1]) assert.equal(await hits(t.store, `marker${i}`), 1, `marker${i}`);
    assert.equal(messageDocs(t.store), N);
    assert.ok(indexedOnce(t.store), 'what the killed process indexed was not indexed again');
  } finally {
    await t.dispose();
  }
});

test('skein import indexes what it imported, with progress on a terminal; the next search has nothing to catch up', async () => {
  const { runCli } = await import('../../src/cli/run.js');
  const dir = tempDir('import-index');
  try {
    const session = 'cccccccc-0000-4000-8000-000000000001';
    const projects = join(dir, 'projects', '-p');
    mkdirSync(projects, { recursive: true });
    const lines = Array.from({ length: N }, (_, i) => user(`u${i}`, i === 0 ? null : `u${i - 1}`, `imported marker${i}`, { sessionId: session }));
    writeFileSync(join(projects, `${session}.jsonl`), jsonl(lines));
    let out = '';
    let err = '';
    const code = await runCli(['import', 'claude-code', join(dir, 'projects'), '--dir', join(dir, 'store')], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s), isTTY: true } as { write(s: string): unknown },
      stdin: Object.assign((async function* () {})(), { isTTY: true }),
      env: {},
    });
    assert.equal(code, 0, err);
    assert.equal(out, `${N.toLocaleString('en-US')} messages imported: 1 new, 0 updated, 0 unchanged threads\n`);
    assert.match(err, /indexing for search · 0% · 0\/[\d,]+/);
    assert.match(err, /indexing for search · 100% · ([\d,]+)\/\1/);
    const store = await openStore({ dir: join(dir, 'store') });
    try {
      assert.equal(pendingEntries(store), 0);
      assert.equal(messageDocs(store), N);
      assert.equal(await hits(store, `marker${N - 1}`), 1);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
