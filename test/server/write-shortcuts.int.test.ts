/**
 * The server's write shortcuts keep every push's own outcome: commits grouped into one SQLite
 * transaction still fail alone (a batch on a stale version is refused, the others of its group are
 * stored), and a commit on a remembered head (Postgres `commitIfHead`) writes nothing when the
 * stored head is not exactly the one remembered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Op, type ThreadID } from '../../src/index.js';
import { emptyThread } from '../../src/model/apply.js';
import type { ThreadHead } from '../../src/model/types.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { batchFromOps } from '../../src/store/batch.js';
import { openPostgresBackend } from '../../src/store/postgres/postgres-backend.js';
import { openSqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';
import { GroupCommit } from '../../src/server/group-commit.js';
import { createTestSchema, PG_SKIPPED, PG_URL } from '../helpers/postgres.js';

/** Two threads' ops, written by a real store: [create, message, message] each. */
async function twoThreads(dir: string): Promise<Op[][]> {
  const store = await openStore({ dir: join(dir, 'source') });
  try {
    const out: Op[][] = [];
    for (const title of ['a', 'b']) {
      const t = await store.createThread({ title });
      for (const content of ['one', 'two']) await store.append(t.id, { type: 'user:message', message: { content } });
      out.push(await store.history(t.id, { fromVersion: 0 }));
    }
    return out;
  } finally {
    await store.close();
  }
}

function fresh(id: ThreadID): ThreadHead {
  const { messages: _m, ...core } = emptyThread(id);
  return { ...core, messageCount: 0, updated: 1 };
}

/** Stores each thread's create op; returns the heads. */
async function created(backend: StorageBackend, threads: Op[][]): Promise<ThreadHead[]> {
  const heads: ThreadHead[] = [];
  for (const ops of threads) {
    const b = await batchFromOps(fresh(ops[0]!.threadId), [ops[0]!], 1);
    await backend.commit([b], 1);
    heads.push((await backend.getHead(ops[0]!.threadId))!);
  }
  return heads;
}

test('a group commit with one stale batch stores the others and refuses that one alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-group-commit-'));
  const backend = openSqliteBackend(join(dir, 'server.db'));
  try {
    const threads = await twoThreads(dir);
    const [a, b] = await created(backend, threads);
    const group = new GroupCommit(backend);
    const good = await batchFromOps(a!, [threads[0]![1]!], 2);
    // Built on a version the thread is not at (as if another writer had moved it).
    const stale = { ...(await batchFromOps(b!, [threads[1]![1]!], 2)), baseVersion: 5 };
    const [ok, refused] = await Promise.allSettled([group.commit(good, 2), group.commit(stale, 2)]);
    assert.equal(ok.status, 'fulfilled');
    assert.equal(refused.status, 'rejected');
    assert.equal((refused as PromiseRejectedResult).reason.code, 'VERSION_CONFLICT');
    assert.equal((await backend.getHead(a!.id))?.v, 2, 'the good batch is stored');
    assert.equal((await backend.getHead(b!.id))?.v, 1, 'the stale one wrote nothing');
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL commitIfHead writes only on exactly the remembered head', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-commit-if-head-'));
  const s = await createTestSchema();
  const backend = await openPostgresBackend({ connectionString: PG_URL, schema: s.schema, workspace: 'w' });
  try {
    const threads = await twoThreads(dir);
    const [a] = await created(backend, threads);
    const ops = threads[0]!;
    const next = await batchFromOps(a!, [ops[1]!], 2);
    // Same version, other head text (e.g. another process rewrote the view): nothing written.
    assert.equal(await backend.commitIfHead!(next, JSON.stringify({ ...a!, title: 'not what is stored' }), 2), false);
    assert.equal((await backend.getHead(a!.id))?.v, 1);
    assert.equal(await backend.commitIfHead!(next, JSON.stringify(a), 2), true, 'the stored head text');
    const head = (await backend.getHead(a!.id))!;
    assert.equal(head.v, 2);
    assert.equal(head.messageCount, 1);
    // The head it wrote is the text the next commit can name.
    const third = await batchFromOps(head, [ops[2]!], 3);
    assert.equal(await backend.commitIfHead!(third, JSON.stringify(head), 3), true);
    assert.deepEqual((await backend.ops(a!.id, 0, 10)).map((o) => o.opId), ops.map((o) => o.opId));
  } finally {
    await backend.close();
    await s.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
