/**
 * Mention links on every write path that makes messages: `store.append`, `writer.apply`,
 * `writer.modify`. A named thread that is free is linked in the message's own transaction
 * (seen through a real SQLite backend whose commits are recorded); one held by a writer, or one
 * that changed meanwhile, is linked right after; one held by another store's writer goes without
 * the link and the append still succeeds (the link is queued: see mention-queue.test.ts). A private thread links nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { applyDelta, openStore, SqliteBackend, SkeinError, ErrorCode, VersionConflictError, type CommitBatch, type Store, type StorageBackend, type ThreadID } from '../../src/index.js';
import { tempDir } from '../helpers/store-fixtures.js';

/** A real SQLite backend whose commits are recorded (the threads of each), and can be made to fail once. */
function recordingBackend(file: string): { backend: StorageBackend; commits: ThreadID[][]; failNextJoined(err: Error): void } {
  const real = new SqliteBackend(file);
  const commits: ThreadID[][] = [];
  let fail: Error | undefined;
  const backend = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'commit') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (batches: CommitBatch[], now: number) => {
        if (fail && batches.length > 1) {
          const e = fail;
          fail = undefined;
          throw e;
        }
        await real.commit(batches, now);
        commits.push(batches.map((b) => b.threadId));
      };
    },
  });
  return { backend, commits, failNextJoined: (err) => (fail = err) };
}

async function withStore(fn: (s: Store, rec: ReturnType<typeof recordingBackend>, dir: string) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    const rec = recordingBackend(join(tmp.dir, 'skein.db'));
    const store = await openStore({ dir: tmp.dir, backend: rec.backend });
    try {
      await fn(store, rec, tmp.dir);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
}

const say = (content: string) => ({ type: 'user:message' as const, message: { content } });
const mentionOps = async (s: Store, id: ThreadID) => (await s.history(id)).filter((op) => op.type === 'mention:link');

describe('mention links in the message transaction', () => {
  test('store.append: the named threads are linked in the same commit as the message', () =>
    withStore(async (s, rec) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const b = (await s.createThread({ title: 'b' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      rec.commits.length = 0;
      const r = await s.append(c, say(`compare ${a} with @${b}`));
      assert.deepEqual(rec.commits, [[c, a, b]], 'one commit holds the message and both links');
      const msg = r.ops[0]!.opId;
      for (const t of [a, b]) assert.deepEqual((await s.info(t))!.links, [{ rel: 'mention', threadId: c, messageId: msg }]);
      // The memory tier saw the links too.
      assert.deepEqual((await s.getThread(a))!.links, [{ rel: 'mention', threadId: c, messageId: msg }]);
    }));

  test('writer.apply and writer.modify link like store.append, in the same commit', () =>
    withStore(async (s, rec) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const w = (await s.createThread({ title: 'w' })).id;
      await using writer = await s.acquireWriter(w);
      rec.commits.length = 0;
      const r = await writer.apply(say(`see ${a}`));
      assert.deepEqual(rec.commits, [[w, a]]);
      const modified = await writer.modify((t) => applyDelta(t, say(`and again ${a}`)));
      assert.deepEqual(rec.commits, [[w, a], [w, a]]);
      assert.deepEqual(
        (await s.info(a))!.links?.map((l) => l.messageId).sort(),
        [r.ops[0]!.opId, modified.messages.at(-1)!.id].sort(),
      );
      assert.equal((await mentionOps(s, a)).length, 2);
    }));

  test('a named thread that changed meanwhile: the message is committed alone, the link right after', () =>
    withStore(async (s, rec) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      rec.failNextJoined(new VersionConflictError(a, 1, 2));
      rec.commits.length = 0;
      const r = await s.append(c, say(`see ${a}`));
      assert.deepEqual(rec.commits, [[c], [a]]);
      assert.deepEqual((await s.info(a))!.links, [{ rel: 'mention', threadId: c, messageId: r.ops[0]!.opId }]);
    }));

  test('a failure that is not a race fails the write, and nothing is written', () =>
    withStore(async (s, rec) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      rec.failNextJoined(new SkeinError(ErrorCode.INTERNAL, 'disk on fire'));
      await assert.rejects(s.append(c, say(`see ${a}`)), /disk on fire/);
      assert.equal((await s.info(c))!.messageCount, 0);
      assert.equal((await s.info(a))!.links, undefined);
    }));
});

describe('mention links after the commit', () => {
  test('a named thread held by a writer of this store is linked through it (its listeners see the link)', () =>
    withStore(async (s, rec) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      await using held = await s.acquireWriter(a);
      const seen: number[] = [];
      held.observe((t) => seen.push(t.links?.length ?? 0));
      rec.commits.length = 0;
      const r = await s.append(c, say(`see ${a}`));
      assert.deepEqual(rec.commits, [[c], [a]]);
      assert.deepEqual(held.thread.links, [{ rel: 'mention', threadId: c, messageId: r.ops[0]!.opId }]);
      assert.deepEqual(seen, [1]);
    }));

  test("a named thread held by another store's writer: the append succeeds without the link", () =>
    withStore(async (s, _rec, dir) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      const other = await openStore({ dir });
      try {
        await using _held = await other.acquireWriter(a);
        const r = await s.append(c, say(`see ${a}`));
        assert.equal(r.messageCount, 1);
        assert.equal((await s.info(a))!.links, undefined);
        // The writer of `c` itself goes on as well.
        await using w = await s.acquireWriter(c);
        assert.equal((await w.apply(say(`again ${a}`))).messageCount, 2);
      } finally {
        await other.close();
      }
    }));

  test('a thread kept in memory only names a stored one: linked after the commit (another backend)', async () => {
    const tmp = tempDir();
    try {
      await using s = await openStore({ dir: tmp.dir, policies: { subagent: 'ephemeral' } });
      const main = (await s.createThread({ title: 'main' })).id;
      const other = (await s.createThread({ title: 'other' })).id;
      const sub = (await s.spawnSubAgentThread(main, 'look around')).id;
      const r = await s.append(sub, say(`compare with ${other}`));
      assert.deepEqual((await s.info(other))!.links, [{ rel: 'mention', threadId: sub, messageId: r.ops[0]!.opId }]);
      // And the other way: a stored thread naming the in-memory one.
      const back = await s.append(other, say(`see ${sub}`));
      assert.deepEqual((await s.info(sub))!.links, [{ rel: 'mention', threadId: other, messageId: back.ops[0]!.opId }]);
    } finally {
      tmp.cleanup();
    }
  });

  test('a thread named twice, or by a message already linked, gets each link once', () =>
    withStore(async (s) => {
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      await s.append(c, [say(`${a} and ${a} and @${a}`), say(`once more ${a}`)]);
      assert.equal((await mentionOps(s, a)).length, 2, 'one per message');
    }));
});

describe('private threads link nothing', () => {
  test('a private thread, or one made private in the same write, names threads without linking them', () =>
    withStore(async (s) => {
      const target = (await s.createThread({ title: 'shared' })).id;
      const p = (await s.createThread({ title: 'private' })).id;
      await s.setVisibility(p, 'private');
      await s.append(p, say(`about ${target}`));
      const q = (await s.createThread({ title: 'turning private' })).id;
      await s.append(q, [{ type: 'visibility:set', value: 'private' }, say(`about ${target}`)]);
      await using w = await s.acquireWriter(p);
      await w.apply(say(`still about ${target}`));
      assert.equal((await s.info(target))!.links, undefined);
      assert.deepEqual(await mentionOps(s, target), []);
      // A workspace thread naming a private one links it (only who sees the private thread sees the link).
      const open = (await s.createThread({ title: 'open' })).id;
      await s.append(open, say(`see ${p}`));
      assert.deepEqual((await s.info(p))!.links?.map((l) => l.threadId), [open]);
    }));
});
