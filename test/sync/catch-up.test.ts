/**
 * A device catches up with exactly what it lacks: a fresh device's pull brings each op once (it
 * does not fetch the threads of the pull a second time through the tiered read), and a device
 * whose push was stored but whose answer was lost still gets what another device added to the
 * thread meanwhile, once its retried push is acknowledged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SkeinError, type Delta } from '../../src/index.js';
import { useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { assertConverged, openDevice, serverOps, settle, type Device } from '../helpers/sync-devices.js';

describe('catching up', () => {
  let server: ServerProcess;
  let token: string;
  const cleanup = useServerProcess('catch-up', [], (s, t) => {
    server = s;
    token = t;
  });

  async function device(name: string, url = server.url): Promise<Device> {
    const d = await openDevice(name, url, token);
    cleanup.push(() => d.close());
    return d;
  }

  test("a fresh device's pull moves each op once: about the bytes the writer pushed, not twice as many", async () => {
    const writer = await device('writer');
    for (let t = 0; t < 20; t++) {
      const thread = await writer.store.createThread({ title: `thread ${t}` });
      const deltas: Delta[] = [];
      for (let i = 0; i < 20; i++) deltas.push({ type: 'user:message', message: { content: `thread ${t} message ${i} `.repeat(20) } });
      await writer.store.append(thread.id, deltas);
    }
    await writer.store.sync.now();
    const pushed = writer.store.sync.bytes.sent;

    const fresh = await device('fresh');
    const r = await fresh.store.sync.now();
    assert.equal(r.pulled, 20 * 21);
    await assertConverged([writer, fresh], server.url, token);
    const received = fresh.store.sync.bytes.received;
    // Both are gzipped JSON of the same ops; a second copy of every thread would double it.
    assert.ok(received < pushed * 1.5, `the fresh device received ${received} bytes for ${pushed} pushed`);
  });

  test('a push stored on the server but answered into the void: the retry brings in what another device added meanwhile', async () => {
    const proxy = await startTcpProxy(server.url);
    cleanup.push(() => proxy.close());
    const a = await device('a', proxy.url);
    const b = await device('b');
    const thread = await a.store.createThread({ title: 'lost answer' });
    await settle([a, b]);

    await a.store.append(thread.id, { type: 'user:message', message: { content: 'from a' } });
    proxy.dropResponses(Infinity);
    await assert.rejects(a.store.sync.now(), (err) => err instanceof SkeinError && err.code === 'NETWORK');
    assert.equal((await serverOps(server.url, token, thread.id)).length, 2, 'the server stored the push');

    await b.store.sync.now();
    await b.store.append(thread.id, { type: 'assistant:message', message: { content: 'from b' } });
    await b.store.sync.now();

    proxy.dropResponses(0);
    await settle([a, b]);
    const threads = await assertConverged([a, b], server.url, token);
    assert.deepEqual(
      threads.get(thread.id)?.messages.map((m) => m.content),
      ['from a', 'from b'],
    );
    const mine = await a.store.getThread(thread.id);
    assert.deepEqual(
      mine?.messages.map((m) => m.content),
      ['from a', 'from b'],
    );
  });
});
