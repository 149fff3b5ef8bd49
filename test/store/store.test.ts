import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, VersionConflictError, foldOps, type Delta, type Thread } from '../../src/index.js';
import { KINDS, rejectsWithCode, withStore } from '../helpers/store-fixtures.js';

const say = (content: string): Delta => ({ type: 'user:message', message: { content } });
const reply = (content: string): Delta => ({ type: 'assistant:message', message: { content } });

for (const kind of KINDS) {
  describe(`store basics (${kind})`, () => {
    test('createThread persists at once, emits thread:created, and starts the log with thread:create', () =>
      withStore(kind, async ({ store, open }) => {
        const events: Thread[] = [];
        store.on('thread:created', (t) => events.push(t));
        const t = await store.createThread({ title: 'plan', env: { cwd: '/work' }, meta: { tag: 'x' } });
        assert.equal(t.v, 1);
        assert.deepEqual([t.title, t.env, t.meta, t.messages], ['plan', { cwd: '/work' }, { tag: 'x' }, []]);
        assert.deepEqual(events, [t]);
        assert.deepEqual(await store.getThread(t.id), t);
        assert.deepEqual((await store.history(t.id)).map((o) => o.type), ['thread:create']);
        if (kind === 'sqlite') {
          // Another store on the same directory sees it without any close or flush.
          const other = await open();
          assert.deepEqual(await other.getThread(t.id), t);
        }
      }));

    test('append with expectedVersion: the right version writes, a wrong one is VERSION_CONFLICT and writes nothing', () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread();
        const r2 = await store.append(t.id, say('hi'), { expectedVersion: 1 });
        assert.equal(r2.v, 2);
        const t2 = (await store.getThread(t.id))!;
        const m = t2.messages[0]!;
        assert.deepEqual(r2.ops, (await store.history(t.id)).slice(-1), 'the answer carries the op written');
        assert.deepEqual([m.role, m.content, typeof m.id, typeof m.timestamp, typeof m.key], ['user', 'hi', 'string', 'number', 'string']);
        for (const expectedVersion of [1, 3, 0]) {
          await assert.rejects(store.append(t.id, say('stale'), { expectedVersion }), (err: unknown) => {
            assert.ok(err instanceof VersionConflictError);
            assert.equal(err.code, ErrorCode.VERSION_CONFLICT);
            assert.equal(err.current, 2);
            return true;
          });
        }
        assert.deepEqual(await store.getThread(t.id), t2);
        assert.equal((await store.history(t.id)).length, 2);
      }));

    test('a delta[] is one op per delta, written atomically: one bad delta writes none of them', () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread();
        assert.equal((await store.append(t.id, [say('q'), reply('a')])).v, 3);
        const t3 = await store.getThread(t.id);
        const bad: unknown[][] = [
          [say('ok'), { type: 'user:message', message: { content: 42 } }],
          [say('ok'), reply('fine'), { type: 'thread:truncate', fromIndex: 99 }],
          [say('ok'), { type: 'nonsense' }],
          [{ type: 'title', value: 'new' }, say('ok'), { type: 'meta:set', key: '', value: 1 }],
        ];
        for (const deltas of bad) {
          await rejectsWithCode(store.append(t.id, deltas as Delta[]), ErrorCode.VALIDATION);
          assert.deepEqual(await store.getThread(t.id), t3);
          assert.equal((await store.history(t.id)).length, 3);
        }
        const t6 = await store.append(t.id, [say('x'), { type: 'title', value: 'T' }, reply('y')], { expectedVersion: 3 });
        assert.equal(t6.v, 6);
        assert.deepEqual(
          (await store.history(t.id, { fromVersion: 3 })).map((o) => [o.v, o.type]),
          [
            [4, 'user:message'],
            [5, 'title'],
            [6, 'assistant:message'],
          ],
        );
      }));

    test('getThread atVersion gives the thread exactly as each append returned it; history folds to the thread', () =>
      withStore(kind, async ({ store }) => {
        const versions: Thread[] = [await store.createThread({ title: 'a' })];
        const id = versions[0]!.id;
        const deltas: Delta[] = [
          say('1'),
          reply('2'),
          { type: 'title', value: 'b' },
          say('3'),
          { type: 'thread:truncate', fromIndex: 1 },
          { type: 'meta:set', key: 'k', value: [1, 2] },
          reply('4'),
        ];
        for (const d of deltas) versions.push((await store.append(id, d).then(() => store.getThread(id)))!);
        for (const t of versions) assert.deepEqual(await store.getThread(id, { atVersion: t.v }), t, `at v${t.v}`);
        const history = await store.history(id);
        assert.equal(history.length, 8);
        assert.deepEqual(foldOps(id, history), await store.getThread(id));
        assert.deepEqual(await store.history(id, { fromVersion: 2, toVersion: 5 }), history.slice(2, 5));
        assert.deepEqual(foldOps(id, await store.history(id, { toVersion: 4 })), versions[3]);
        await rejectsWithCode(store.getThread(id, { atVersion: 9 }), ErrorCode.VALIDATION);
        await rejectsWithCode(store.history(id, { fromVersion: 5, toVersion: 2 }), ErrorCode.VALIDATION);
      }));

    test('loadPage offset counts back from the newest message; the window is oldest first; hasMore says older exist', () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread({ title: 'paged' });
        await store.append(t.id, Array.from({ length: 12 }, (_, i) => (i % 2 ? reply(`m${i}`) : say(`m${i}`))));
        const all = (await store.getThread(t.id))!.messages;
        const page = (offset: number, limit = 5) => store.loadPage(t.id, { limit, offset });
        const p0 = await page(0);
        assert.deepEqual(p0.messages, all.slice(7, 12));
        assert.deepEqual([p0.id, p0.v, p0.title, p0.created, p0.totalMessages, p0.hasMore], [t.id, 13, 'paged', t.created, 12, true]);
        assert.deepEqual((await page(5)).messages, all.slice(2, 7));
        const last = await page(10);
        assert.deepEqual([last.messages, last.hasMore], [all.slice(0, 2), false]);
        const exact = await page(7);
        assert.deepEqual([exact.messages, exact.hasMore], [all.slice(0, 5), false]);
        const beyond = await page(12);
        assert.deepEqual([beyond.messages, beyond.hasMore], [[], false]);
        assert.deepEqual((await store.loadPage(t.id)).messages, all, 'default limit covers a short thread');
        assert.deepEqual((await store.loadPage(t.id, { limit: 3, before: all[5]!.id })).messages, all.slice(2, 5));
        assert.deepEqual((await store.loadPage(t.id, { limit: 3, after: all[5]!.id })).messages, all.slice(6, 9));
      }));

    test('before/after cursors neither skip nor repeat a message while appends happen between and during reads', () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread();
        await store.append(t.id, Array.from({ length: 17 }, (_, i) => say(`old ${i}`)));
        const initial = (await store.getThread(t.id))!.messages;
        // Backwards from the newest, with `before`: exactly the messages that existed at the start.
        let page = await store.loadPage(t.id, { limit: 4 });
        const back = [...page.messages];
        let n = 0;
        while (page.hasMore) {
          const [next] = await Promise.all([
            store.loadPage(t.id, { limit: 4, before: page.messages[0]!.id }),
            store.append(t.id, [say(`during ${n}`), reply(`during ${n}`)]),
          ]);
          await store.append(t.id, say(`between ${n++}`));
          back.unshift(...next.messages);
          page = next;
        }
        assert.deepEqual(back, initial);
        // Forwards from the first message, with `after`: everything, including what is appended meanwhile.
        const fwd = [initial[0]!];
        for (let round = 0; ; round++) {
          const [next] = await Promise.all([
            store.loadPage(t.id, { limit: 5, after: fwd.at(-1)!.id }),
            round < 6 ? store.append(t.id, say(`late ${round}`)) : Promise.resolve(),
          ]);
          if (next.messages.length === 0 && round >= 6) break;
          fwd.push(...next.messages);
        }
        const final = (await store.getThread(t.id))!.messages;
        assert.deepEqual(fwd, final);
        assert.equal(new Set(final.map((m) => m.id)).size, final.length);
        assert.equal(final.length, 17 + n * 3 + 6);
      }));

    test('listThreads with a cursor lists every thread exactly once while threads are appended to and created between pages', () =>
      withStore(kind, async ({ store, open }) => {
        const made: Thread[] = [];
        for (let i = 0; i < 9; i++) made.push(await store.createThread({ title: `t${i}` }));
        await store.append(made[2]!.id, say('bump'));
        const expected = [made[2]!, ...made.filter((_, i) => i !== 2).reverse()].map((t) => t.id);
        const writer = kind === 'sqlite' ? await open() : store;
        const seen: string[] = [];
        let lastNew = '';
        let page = await store.listThreads({ limit: 2 });
        for (let round = 0; ; round++) {
          seen.push(...page.threads.map((t) => t.id));
          if (!page.nextCursor) break;
          // The oldest threads (not listed yet) and already-listed ones get new activity; new threads appear.
          await writer.append(made[round % 9]!.id, say(`r${round}`));
          await writer.append(expected[0]!, say(`top ${round}`));
          lastNew = (await writer.createThread({ title: `new ${round}` })).title!;
          page = await store.listThreads({ limit: 2, cursor: page.nextCursor });
        }
        assert.deepEqual(seen, expected);
        const fresh = await store.listThreads({ limit: 3 });
        assert.equal(fresh.threads[0]!.title, lastNew, 'a new listing starts from the current activity');
      }));
  });
}
