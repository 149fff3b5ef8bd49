/**
 * An append answers the new head and the ops it wrote, never the thread: on a fresh store (a new
 * process, a cold memory tier) it reads no message of the thread, whatever its length. Counted
 * through a backend that wraps the real SQLite one and records every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore, SqliteBackend, type Delta, type StorageBackend, type ThreadID } from '../../src/index.js';
import { tempDir } from '../helpers/store-fixtures.js';

/** The backend methods that read messages or ops (a whole-thread read goes through one of them). */
const THREAD_READS = new Set(['messagesBefore', 'messagesAfter', 'findMessage', 'locate', 'ops', 'opsSince']);

/** A real SQLite backend whose calls are recorded by method name. */
function countingBackend(file: string): { backend: StorageBackend; calls: string[] } {
  const calls: string[] = [];
  const real = new SqliteBackend(file);
  const backend = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

const say = (content: string): Delta => ({ type: 'user:message', message: { content } });

/** A thread of `n` messages written by one store, then closed: the next store starts cold. */
async function seeded(dir: string, n: number): Promise<ThreadID> {
  const s = await openStore({ dir });
  const t = await s.createThread({ title: `${n} messages` });
  for (let i = 0; i < n; i += 100) await s.append(t.id, Array.from({ length: Math.min(100, n - i) }, (_, j) => say(`m${i + j}`)));
  await s.close();
  return t.id;
}

test('append on a fresh store reads no message; its answer is the head and the ops, the same size at 2 and 2,000 messages', async () => {
  const tmp = tempDir();
  try {
    const sizes: number[] = [];
    for (const n of [2, 2000]) {
      const dir = join(tmp.dir, String(n));
      const id = await seeded(dir, n);
      const { backend, calls } = countingBackend(join(dir, 'skein.db'));
      const s = await openStore({ dir, backend });
      calls.length = 0;
      const r = await s.append(id, { type: 'user:message', message: { id: 'fixed-id', content: 'the new one', timestamp: 1 } });
      assert.deepEqual(calls.filter((c) => THREAD_READS.has(c)), [], `no thread read at ${n} messages (calls: ${calls.join(', ')})`);
      assert.equal('messages' in r, false);
      assert.deepEqual([r.id, r.v, r.messageCount, r.title], [id, n + 2, n + 1, `${n} messages`]);
      assert.deepEqual(r.ops.map((op) => [op.type, op.v, 'message' in op && op.message.id]), [['user:message', n + 2, 'fixed-id']]);
      // The answer is what was written: the stored op, and the message where a page shows it.
      assert.deepEqual(r.ops, await s.history(id, { fromVersion: n + 1 }));
      assert.deepEqual((await s.loadPage(id, { limit: 1 })).messages, [(r.ops[0] as { message: unknown }).message]);
      // Sizes compared without the fields that differ by content (ids, stamps, title, counts).
      const { ops, ...head } = r;
      sizes.push(JSON.stringify({ ...head, title: '', messageCount: 0, v: 0 }).length + ops.length);
      await s.close();
    }
    assert.equal(sizes[0], sizes[1], 'the answer does not grow with the thread');
  } finally {
    tmp.cleanup();
  }
});

test("a writer's apply answers the head and the ops; its listeners and writer.thread still get the whole thread", async () => {
  const tmp = tempDir();
  try {
    const id = await seeded(tmp.dir, 3);
    const s = await openStore({ dir: tmp.dir });
    const w = await s.acquireWriter(id);
    const seen: number[] = [];
    w.observe((t) => seen.push(t.messages.length));
    const r = await w.apply([say('a'), say('b')]);
    assert.equal('messages' in r, false);
    assert.deepEqual([r.v, r.messageCount, r.ops.map((op) => op.v)], [6, 5, [5, 6]]);
    assert.deepEqual(seen, [5]);
    assert.equal(w.thread.messages.length, 5);
    await w.dispose();
    await s.close();
  } finally {
    tmp.cleanup();
  }
});
