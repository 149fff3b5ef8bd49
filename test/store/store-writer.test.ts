import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, applyDelta, type Delta, type Thread } from '../../src/index.js';
import { KINDS, rejectsWithCode, withStore } from '../helpers/store-fixtures.js';

const say = (content: string): Delta => ({ type: 'user:message', message: { content } });

for (const kind of KINDS) {
  describe(`exclusive writer (${kind})`, () => {
    test('apply writes through the writer, persists, and the listener sees each thread before apply resolves', () =>
      withStore(kind, async ({ store, open }) => {
        const t = await store.createThread();
        const w = await store.acquireWriter(t.id);
        assert.deepEqual(w.thread, t);
        const order: string[] = [];
        const seen: Thread[] = [];
        const stop = w.observe((thread) => {
          order.push(`listener v${thread.v}`);
          seen.push(thread);
        });
        const t2 = await w.apply(say('one'));
        order.push(`resolved v${t2.v}`);
        const t4 = await w.apply([say('two'), { type: 'assistant:message', message: { content: 'three' } }]);
        order.push(`resolved v${t4.v}`);
        assert.deepEqual(order, ['listener v2', 'resolved v2', 'listener v4', 'resolved v4']);
        // apply answers the head and the ops; listeners and `writer.thread` have the whole thread.
        assert.deepEqual(seen.map((s) => s.v), [2, 4]);
        assert.deepEqual(seen[0]!.messages.map((m) => m.content), ['one']);
        assert.deepEqual([t2.ops.length, t4.ops.length, 'messages' in t4], [1, 2, false]);
        assert.deepEqual(seen[1]!.messages.map((m) => m.id), [seen[0]!.messages[0]!.id, ...t4.ops.map((op) => (op as { message: { id: string } }).message.id)]);
        assert.equal(w.thread, seen[1]);
        assert.deepEqual(await store.getThread(t.id), seen[1]);
        if (kind === 'sqlite') assert.deepEqual(await (await open()).getThread(t.id), seen[1], 'durable before apply resolves');
        stop();
        await w.apply(say('unheard'));
        assert.equal(seen.length, 2, 'an unsubscribed listener hears nothing');
        await w.dispose();
      }));

    test('modify must raise v and may only make changes that ops can express; refused changes write nothing', () =>
      withStore(kind, async ({ store }) => {
        const t = await store.createThread({ title: 'a' });
        const w = await store.acquireWriter(t.id);
        const t3 = await w.modify((th) => applyDelta(applyDelta(th, say('hi')), { type: 'title', value: 'b' }));
        assert.deepEqual([t3.v, t3.title, t3.messages.map((m) => m.content)], [3, 'b', ['hi']]);
        assert.deepEqual(await store.getThread(t.id), t3);
        const refused: [string, (th: Thread) => Thread][] = [
          ['same version', (th) => th],
          ['lower version', (th) => ({ ...th, v: th.v - 1 })],
          ['a hand-set title', (th) => ({ ...applyDelta(th, say('x')), title: 'by hand' })],
          ['a hand-set message', (th) => {
            const next = applyDelta(th, say('x'));
            return { ...next, messages: next.messages.map((m) => ({ ...m, content: 'edited' })) };
          }],
          ['a bumped v alone', (th) => ({ ...th, v: th.v + 1 })],
          ['not a thread', () => undefined as unknown as Thread],
        ];
        for (const [label, fn] of refused) {
          await rejectsWithCode(w.modify(fn), ErrorCode.VALIDATION).catch((err: Error) => assert.fail(`${label}: ${err.message}`));
          assert.deepEqual(await store.getThread(t.id), t3, label);
          assert.equal((await store.history(t.id)).length, 3, label);
          assert.deepEqual(w.thread, t3, label);
        }
        const t4 = await w.apply(say('still works'));
        assert.equal(t4.v, 4);
        await w.dispose();
      }));

    test('a second acquire in this process is THREAD_BUSY; dispose releases; waitMs waits for the release', () =>
      withStore(kind, async ({ store, open }) => {
        const t = await store.createThread();
        const w = await store.acquireWriter(t.id);
        await rejectsWithCode(store.acquireWriter(t.id), ErrorCode.THREAD_BUSY);
        await rejectsWithCode(store.acquireWriter(t.id, { waitMs: 30 }), ErrorCode.THREAD_BUSY);
        const other = kind === 'sqlite' ? await open() : undefined;
        if (other) await rejectsWithCode(other.acquireWriter(t.id), ErrorCode.THREAD_BUSY);
        const waiting = (other ?? store).acquireWriter(t.id, { waitMs: 10_000 });
        let settled = false;
        void waiting.then(
          () => (settled = true),
          () => (settled = true),
        );
        await w.apply(say('while the other waits'));
        assert.equal(settled, false, 'still waiting while the writer is held');
        await w.dispose();
        const w2 = await waiting;
        assert.equal(w2.thread.v, 2, 'the new writer starts from the latest thread');
        await rejectsWithCode(w.apply(say('after dispose')), ErrorCode.CLOSED);
        await w2.apply(say('new holder'));
        await w2.dispose();
        const w3 = await store.acquireWriter(t.id);
        assert.equal(w3.thread.v, 3);
        await w3.dispose();
      }));

    test('store.append on a thread whose writer this store holds goes through the writer; other stores are refused', () =>
      withStore(kind, async ({ store, open }) => {
        const t = await store.createThread();
        const w = await store.acquireWriter(t.id);
        const heard: number[] = [];
        w.observe((th) => heard.push(th.v));
        const t2 = await store.append(t.id, say('via store'));
        assert.equal(t2.v, 2);
        assert.deepEqual(w.thread, await store.getThread(t.id));
        assert.deepEqual(heard, [2]);
        await rejectsWithCode(store.append(t.id, say('stale'), { expectedVersion: 1 }), ErrorCode.VERSION_CONFLICT);
        if (kind === 'sqlite') {
          const other = await open();
          await rejectsWithCode(other.append(t.id, say('not the holder')), ErrorCode.THREAD_BUSY);
          assert.equal((await other.history(t.id)).length, 2, 'nothing written');
        }
        await w.apply(say('via writer'));
        assert.deepEqual(w.thread.messages.map((m) => m.content), ['via store', 'via writer']);
        await w.dispose();
        if (kind === 'sqlite') assert.equal((await (await open()).append(t.id, say('free again'))).v, 4);
      }));
  });
}
