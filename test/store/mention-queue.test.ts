/**
 * The mention-link queue (store/mentions.ts) on real SQLite files: a link a message cannot write
 * in its own transaction (its named thread held by another store's writer, archived, or a race)
 * is queued in that transaction and written exactly once by a later drain (a later write, or
 * opening the store), also after a crash right after the message's commit.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { spawnChild, killChild } from '../helpers/child-process.js';
import { tempDir } from '../helpers/store-fixtures.js';

const say = (content: string) => ({ type: 'user:message' as const, message: { content } });
const mentionOps = async (s: Store, id: ThreadID) => (await s.history(id)).filter((op) => op.type === 'mention:link');

/** The queue rows as the file holds them (read with a connection of its own). */
function queued(dir: string): { target: string; thread_id: string; message_id: string }[] {
  const db = new Database(join(dir, 'skein.db'), { readonly: true });
  try {
    return db.prepare('SELECT target, thread_id, message_id FROM pending_mentions ORDER BY seq').all() as never;
  } finally {
    db.close();
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    await fn(tmp.dir);
  } finally {
    tmp.cleanup();
  }
}

describe('queued mention links', () => {
  test("a named thread held by another store's writer: queued with the message, linked once by the next write after release", () =>
    withDir(async (dir) => {
      await using s = await openStore({ dir });
      const a = (await s.createThread({ title: 'a' })).id;
      const c = (await s.createThread({ title: 'c' })).id;
      const other = await openStore({ dir });
      let messageId: string;
      try {
        const held = await other.acquireWriter(a);
        const r = await s.append(c, say(`see ${a}`));
        messageId = r.ops[0]!.opId;
        assert.equal(r.messageCount, 1, 'the message is written');
        assert.equal((await s.info(a))!.links, undefined, 'no link while held');
        assert.deepEqual(queued(dir), [{ target: a, thread_id: c, message_id: messageId }]);
        // A write while it is still held leaves the entry.
        await s.append(c, say('meanwhile'));
        assert.equal(queued(dir).length, 1);
        await held.dispose();
      } finally {
        await other.close();
      }
      await s.append(c, say('later'));
      assert.deepEqual((await s.info(a))!.links, [{ rel: 'mention', threadId: c, messageId }]);
      assert.equal((await mentionOps(s, a)).length, 1);
      assert.deepEqual(queued(dir), []);
      await s.append(c, say('and later'));
      assert.equal((await mentionOps(s, a)).length, 1, 'exactly once');
    }));

  test('a link still queued when the store closes is written when it opens again, once', () =>
    withDir(async (dir) => {
      let a: ThreadID;
      let c: ThreadID;
      let messageId: string;
      {
        await using s = await openStore({ dir });
        a = (await s.createThread({ title: 'a' })).id;
        c = (await s.createThread({ title: 'c' })).id;
        await using other = await openStore({ dir });
        const held = await other.acquireWriter(a);
        messageId = (await s.append(c, say(`see @${a}`))).ops[0]!.opId;
        await s.close();
        await held.dispose();
      }
      assert.equal(queued(dir).length, 1);
      {
        await using s = await openStore({ dir });
        assert.deepEqual((await s.info(a))!.links, [{ rel: 'mention', threadId: c, messageId }]);
        assert.deepEqual(queued(dir), []);
      }
      await using s = await openStore({ dir });
      assert.equal((await mentionOps(s, a)).length, 1);
    }));

  test('a crash right after the commit of the message: the queued link is written on the next open, once', () =>
    withDir(async (dir) => {
      const child = spawnChild('mention-crash-child.ts', [dir]);
      try {
        const { a, c } = (await child.next()) as { a: ThreadID; c: ThreadID };
        const { signal } = await child.exited;
        assert.equal(signal, 'SIGKILL', `the child was to kill itself after the commit; stderr:\n${child.stderr()}`);
        assert.equal(child.lines.length, 1);
        assert.equal(queued(dir).length, 1, 'the link was queued with the message');
        {
          await using s = await openStore({ dir });
          const [message] = (await s.loadPage(c)).messages;
          assert.equal(message!.content, `see ${a}`);
          assert.deepEqual((await s.info(a))!.links, [{ rel: 'mention', threadId: c, messageId: message!.id }]);
        }
        await using s = await openStore({ dir });
        assert.equal((await mentionOps(s, a)).length, 1);
        assert.deepEqual(queued(dir), []);
      } finally {
        await killChild(child);
      }
    }));

  test('an archived named thread keeps its entry and is linked once restored', () =>
    withDir(async (dir) => {
      let now = Date.UTC(2025, 0, 1);
      await using s = await openStore({ dir, now: () => now });
      const a = (await s.createThread({ title: 'a' })).id;
      now += 40 * 86_400_000;
      const c = (await s.createThread({ title: 'c' })).id;
      const archived = await s.archiveInactiveThreads({ olderThanMs: 30 * 86_400_000 });
      assert.deepEqual(archived.archived, [a]);
      const messageId = (await s.append(c, say(`see ${a}`))).ops[0]!.opId;
      assert.equal(queued(dir).length, 1);
      await s.append(c, say('meanwhile'));
      assert.equal(queued(dir).length, 1, 'kept while archived');
      await s.restoreThread(a);
      await s.append(c, say('later'));
      assert.deepEqual((await s.info(a))!.links, [{ rel: 'mention', threadId: c, messageId }]);
      assert.deepEqual(queued(dir), []);
    }));

  test('a name that is no thread is dropped from the queue; a private thread queues nothing', () =>
    withDir(async (dir) => {
      await using s = await openStore({ dir });
      const c = (await s.createThread({ title: 'c' })).id;
      await s.append(c, say('see T-00000000-0000-4000-8000-000000000000'));
      assert.deepEqual(queued(dir), []);
      const a = (await s.createThread({ title: 'a' })).id;
      const p = (await s.createThread({ title: 'p' })).id;
      await s.setVisibility(p, 'private');
      await using other = await openStore({ dir });
      await using _held = await other.acquireWriter(a);
      await s.append(p, say(`about ${a}`));
      assert.deepEqual(queued(dir), []);
    }));
});
