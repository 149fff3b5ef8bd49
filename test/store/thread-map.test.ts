/** The thread map on a real SQLite store: handoff, mention and fork links, both ends, after a reopen. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import type { SkeinError } from '../../src/errors.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-map-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withSqlite(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  await withDir(async (dir) => {
    const store = await openStore({ dir });
    try {
      await fn(store, dir);
    } finally {
      await store.close();
    }
  });
}

const code = (c: string) => (e: SkeinError) => e.code === c;

async function conversation(store: Store, title: string, n: number): Promise<ThreadID> {
  const t = await store.createThread({ title, env: { cwd: '/tmp/project' } });
  for (let i = 0; i < n; i++)
    await store.append(t.id, { type: i % 2 === 0 ? 'user:message' : 'assistant:message', message: { content: `message ${i} of ${title}` } });
  return t.id;
}

describe('handoff', () => {
  test('a generated summary quotes the title and the last three messages; both ends are linked and survive a reopen', () =>
    withDir(async (dir) => {
      let source: ThreadID;
      let next: ThreadID;
      {
        await using store = await openStore({ dir });
        source = await conversation(store, 'parser rewrite', 5);
        const before = (await store.info(source))!.v;
        const t = await store.handoff(source, { goal: 'ship the tokenizer' });
        next = t.id;
        assert.equal(t.handoffFrom, source);
        assert.equal(t.title, 'ship the tokenizer');
        assert.deepEqual(t.env, { cwd: '/tmp/project' }, 'the env is inherited');
        assert.equal(t.messages.length, 1);
        const first = t.messages[0]!;
        assert.equal(first.role, 'user');
        assert.match(first.content, new RegExp(`^Continuing thread ${source} \\("parser rewrite", 5 messages\\)`));
        for (const i of [2, 3, 4]) assert.ok(first.content.includes(`message ${i} of parser rewrite`), `quotes message ${i}`);
        for (const i of [0, 1]) assert.ok(!first.content.includes(`message ${i} of parser rewrite`), `does not quote message ${i}`);
        assert.ok(first.content.endsWith('\n\nGoal: ship the tokenizer'));
        const after = (await store.info(source))!;
        assert.equal(after.v, before + 1, 'the source gets one op');
        assert.deepEqual(after.links, [{ rel: 'handoff', threadId: next }]);
        const last = (await store.history(source)).at(-1)!;
        assert.equal(last.type, 'handoff:link');
        assert.equal((last as { linked: string }).linked, next);
      }
      await using store = await openStore({ dir });
      const related = await store.getRelatedThreads(source);
      assert.deepEqual(related.handoffs.map((t) => t.id), [next]);
      const back = await store.getRelatedThreads(next);
      assert.equal(back.handoffFrom?.id, source);
      const tree = await store.getThreadTree(source);
      assert.deepEqual(tree.links.map((l) => [l.rel, l.thread.id]), [['handoff', next]]);
      const nextTree = await store.getThreadTree(next);
      assert.deepEqual(nextTree.links.map((l) => [l.rel, l.thread.id]), [['handoff-from', source]]);
    }));

  test('a given summary is used as is; bad options are refused and change nothing', () =>
    withSqlite(async (store) => {
      const source = await conversation(store, 'a', 2);
      const t = await store.handoff(source, { goal: 'g', summary: 'We chose SQLite.', title: 'next' });
      assert.equal(t.messages[0]!.content, 'We chose SQLite.\n\nGoal: g');
      assert.equal(t.title, 'next');
      const v = (await store.info(source))!.v;
      const listed = (await store.listThreads()).threads.length;
      await assert.rejects(store.handoff(source, {} as never), code('VALIDATION'));
      await assert.rejects(store.handoff(source, { goal: '  ' }), code('VALIDATION'));
      await assert.rejects(store.handoff(source, { goal: 'g', summary: 7 } as never), code('VALIDATION'));
      await assert.rejects(store.handoff('T-nope' as ThreadID, { goal: 'g' }), code('VALIDATION'));
      await assert.rejects(store.handoff('T-01a22c80-c9d5-7000-a6ad-3f0d26a4f572', { goal: 'g' }), code('NOT_FOUND'));
      assert.equal((await store.info(source))!.v, v);
      assert.equal((await store.listThreads()).threads.length, listed, 'no thread was created');
    }));

  test('a handoff of a private thread is private', () =>
    withSqlite(async (store) => {
      const source = await conversation(store, 'secret', 1);
      await store.setVisibility(source, 'private');
      assert.equal((await store.handoff(source, { goal: 'g' })).visibility, 'private');
    }));
});

describe('mention', () => {
  test('T-<id> and @T-<id> in a message link the named thread back to the message; unknown, own and glued ids do not', () =>
    withSqlite(async (store) => {
      const a = await conversation(store, 'a', 1);
      const b = await conversation(store, 'b', 1);
      const c = await conversation(store, 'c', 0);
      const vA = (await store.info(a))!.v;
      const unknown = 'T-01a22c80-c9d5-7000-a6ad-3f0d26a4f572';
      const r = await store.append(c, {
        type: 'user:message',
        message: { content: `see ${a}, and @${b}; also ${unknown}, myself ${c}, and x${a}y` },
      });
      const msgId = r.ops[0]!.opId;
      assert.equal(r.v, 2, 'the mentioning thread gets only its message');
      const infoA = (await store.info(a))!;
      assert.equal(infoA.v, vA + 1, 'the glued id adds nothing more');
      assert.deepEqual(infoA.links, [{ rel: 'mention', threadId: c, messageId: msgId }]);
      assert.deepEqual((await store.info(b))!.links, [{ rel: 'mention', threadId: c, messageId: msgId }]);
      const op = (await store.history(a)).at(-1)!;
      assert.equal(op.type, 'mention:link');
      assert.deepEqual([(op as { linked: string }).linked, (op as { messageId: string }).messageId], [c, msgId]);
      assert.equal((await store.info(c))!.links, undefined, 'a self-mention links nothing');
      assert.equal(await store.info(unknown), null, 'an unknown id creates nothing');

      // A second message naming a twice is a second link; related threads list each message.
      const r2 = await store.append(c, { type: 'assistant:message', message: { content: `${a} ${a}` } });
      const related = await store.getRelatedThreads(a);
      assert.deepEqual(
        related.mentionedBy.map((m) => [m.thread.id, m.messageId]),
        [[c, msgId], [c, r2.ops[0]!.opId]].sort((x, y) => (x[1]! < y[1]! ? -1 : 1)),
      );
      const tree = await store.getThreadTree(a);
      assert.deepEqual(tree.links.map((l) => [l.rel, l.thread.id]), [['mentioned-by', c], ['mentioned-by', c]]);
    }));

  test('a message without a mention leaves other threads alone', () =>
    withSqlite(async (store) => {
      const a = await conversation(store, 'a', 1);
      const b = await conversation(store, 'b', 0);
      const v = (await store.info(a))!.v;
      await store.append(b, { type: 'user:message', message: { content: `T-${a.slice(2, 10)} is only part of an id` } });
      assert.equal((await store.info(a))!.v, v);
    }));
});

describe('mention of an archived thread', () => {
  test('the append succeeds and the archived thread is left alone', () =>
    withDir(async (dir) => {
      let now = Date.UTC(2024, 0, 1);
      await using store = await openStore({ dir, now: () => now });
      const old = await conversation(store, 'old', 1);
      now += 40 * 86_400_000;
      const fresh = await conversation(store, 'fresh', 0);
      assert.deepEqual((await store.archiveInactiveThreads({ olderThanMs: 30 * 86_400_000 })).archived, [old]);
      const r = await store.append(fresh, { type: 'user:message', message: { content: `see ${old}` } });
      assert.equal(r.v, 2);
      assert.equal((await store.getThread(old))!.links, undefined);
    }));
});

describe('fork', () => {
  test('copies the visible messages up to and including one, with fresh ids; both ends linked', () =>
    withSqlite(async (store) => {
      const source = await conversation(store, 'src', 4);
      const page = await store.loadPage(source);
      const at = page.messages[1]!;
      const v = (await store.info(source))!.v;
      const copy = await store.fork(source, { atMessageId: at.id });
      assert.deepEqual([copy.forkedFrom, copy.forkedAt, copy.title], [source, at.id, 'Fork of src']);
      assert.deepEqual(copy.messages.map((m) => [m.role, m.content, m.timestamp]), page.messages.slice(0, 2).map((m) => [m.role, m.content, m.timestamp]));
      assert.ok(copy.messages.every((m) => !page.messages.some((s) => s.id === m.id)), 'fresh message ids');
      const after = (await store.info(source))!;
      assert.equal(after.v, v + 1);
      assert.deepEqual(after.links, [{ rel: 'fork', threadId: copy.id, messageId: at.id }]);
      assert.equal((await store.history(source)).at(-1)!.type, 'fork:link');
      const related = await store.getRelatedThreads(source);
      assert.deepEqual(related.forks.map((f) => [f.thread.id, f.messageId]), [[copy.id, at.id]]);
      const back = await store.getRelatedThreads(copy.id);
      assert.deepEqual([back.forkedFrom?.thread.id, back.forkedFrom?.messageId], [source, at.id]);
      // The copy goes on by itself.
      await store.append(copy.id, { type: 'user:message', message: { content: 'another way' } });
      assert.equal((await store.info(source))!.messageCount, 4);
    }));

  test('an unknown or hidden message is refused and changes nothing', () =>
    withSqlite(async (store) => {
      const source = await conversation(store, 'src', 3);
      const page = await store.loadPage(source);
      await store.append(source, { type: 'thread:truncate', fromIndex: 2 });
      const v = (await store.info(source))!.v;
      const listed = (await store.listThreads()).threads.length;
      await assert.rejects(store.fork(source, { atMessageId: 'nope' }), code('VALIDATION'));
      await assert.rejects(store.fork(source, { atMessageId: page.messages[2]!.id }), code('VALIDATION'));
      await assert.rejects(store.fork(source, {} as never), code('VALIDATION'));
      assert.equal((await store.info(source))!.v, v);
      assert.equal((await store.listThreads()).threads.length, listed);
    }));
});
