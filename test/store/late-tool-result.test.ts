import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { foldOps, type Delta, type Message, type Store, type Thread, type ThreadID } from '../../src/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';

const user = (id: string): Delta => ({ type: 'user:message', message: { id, content: `prompt ${id}` } });
const call = (id: string, callId: string): Delta => ({
  type: 'assistant:message',
  message: { id, content: `calling ${callId}`, toolCalls: [{ id: callId, name: 'bash', input: {} }] },
});
const result = (id: string, callId: string): Delta => ({
  type: 'user:message',
  message: { id, content: '', toolResults: [{ toolCallId: callId, output: `out ${callId}` }] },
});

const ids = (t: Thread) => t.messages.map((m: Message) => m.id);
const byId = (t: Thread, id: string) => t.messages.find((m) => m.id === id)!;
const parentOf = (key: string) => key.slice(0, key.lastIndexOf('!'));

/** A call, then later turns and many other calls, then the call's result. */
async function lateResult(store: Store, id: ThreadID, opts: { oneByOne: boolean }): Promise<void> {
  const deltas: Delta[] = [user('u0'), call('a0', 'c0')];
  for (let i = 1; i <= 12; i++) deltas.push(user(`u${i}`), call(`a${i}`, `c${i}`));
  if (opts.oneByOne) for (const d of deltas) await store.append(id, d);
  else await store.append(id, deltas);
}

describe('a result whose call the head no longer remembers still sits under its call', () => {
  for (const kind of KINDS)
    test(`after later turns and calls, also from a fresh store (${kind})`, () =>
      withStore(kind, async ({ store, open, dir }) => {
        const { id } = await store.createThread({});
        await lateResult(store, id, { oneByOne: true });
        // The head keeps only the newest turn's calls: c0 is not among them.
        assert.ok(!Object.hasOwn((await store.getThread(id))!.clock.openCalls, 'c0'));
        await store.append(id, result('r0', 'c0'));
        let t = (await store.getThread(id))!;
        assert.equal(parentOf(byId(t, 'r0').key!), byId(t, 'a0').key);
        assert.deepEqual(ids(t).slice(0, 4), ['u0', 'a0', 'r0', 'u1']);
        assert.deepEqual(t, foldOps(id, await store.history(id)));
        if (dir) {
          // Another store on the same files (a new process: nothing in memory) finds c5 too.
          const other = await open();
          await other.append(id, result('r5', 'c5'));
          t = (await other.getThread(id))!;
          assert.equal(parentOf(byId(t, 'r5').key!), byId(t, 'a5').key);
        }
      }));

  for (const kind of KINDS)
    test(`within one batch, and through a writer (${kind})`, () =>
      withStore(kind, async ({ store }) => {
        const { id } = await store.createThread({});
        await lateResult(store, id, { oneByOne: false });
        const w = await store.acquireWriter(id);
        await w.apply([user('u99'), result('r3', 'c3')]);
        await w.dispose();
        const t = (await store.getThread(id))!;
        assert.equal(parentOf(byId(t, 'r3').key!), byId(t, 'a3').key);
        const { id: other } = await store.createThread({});
        await store.append(other, [user('x0'), call('b0', 'k0'), user('x1'), result('s0', 'k0')]);
        const t2 = (await store.getThread(other))!;
        assert.equal(parentOf(byId(t2, 's0').key!), byId(t2, 'b0').key);
      }));

  test('a store made before the call index finds the calls it already held (migration)', () =>
    withStore('sqlite', async ({ store, open, dir }) => {
      const { id } = await store.createThread({});
      await lateResult(store, id, { oneByOne: false });
      await store.close();
      // The database as written before the index existed, then the migration that adds it.
      const step = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE tool_calls'));
      const db = new Database(join(dir!, 'skein.db'));
      db.exec('DROP TABLE tool_calls');
      db.exec(SQLITE_MIGRATIONS[step]!);
      assert.equal((db.prepare('SELECT count(*) AS n FROM tool_calls').get() as { n: number }).n, 13);
      db.close();
      const again = await open();
      await again.append(id, result('r2', 'c2'));
      const t = (await again.getThread(id))!;
      assert.equal(parentOf(byId(t, 'r2').key!), byId(t, 'a2').key);
    }));
});
