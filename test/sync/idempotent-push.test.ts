/**
 * A push is applied once, however often it arrives: the same raw push body sent three times, a
 * push whose response is lost on the way back (a proxy destroys the client's socket after the
 * server handled it), and a server killed with SIGKILL right after it committed a push and then
 * restarted on the same data. No op or message is ever stored twice, and the client ends in sync.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, SkeinError, type Store } from '../../src/index.js';
import { api, useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { assertConverged, openDevice, serverOps, serverThread, settle, type Device } from '../helpers/sync-devices.js';

function assertNoDuplicates(ops: { opId: string }[], messages: { id: string }[]): void {
  assert.equal(new Set(ops.map((o) => o.opId)).size, ops.length, 'an op is stored twice');
  assert.equal(new Set(messages.map((m) => m.id)).size, messages.length, 'a message is shown twice');
}

describe('a push is applied once', () => {
  let server: ServerProcess;
  let token: string;
  const cleanup = useServerProcess('ws', [], (s, t) => {
    server = s;
    token = t;
  });

  test('the same raw push body sent three times stores its ops once', async () => {
    const local: Store = await openStore({ dir: ':memory:' });
    cleanup.push(() => local.close());
    const t = await local.createThread({ title: 'replayed' });
    await local.append(t.id, [
      { type: 'user:message', message: { content: 'one' } },
      { type: 'assistant:message', message: { content: 'two', toolCalls: [{ id: 'c1', name: 'ls', input: {} }] } },
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: 'a b' }] } },
    ]);
    const ops = await local.history(t.id);
    const push = (baseVersion: number, pushed: unknown[]) =>
      api(server.url, token, '/v1/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'push', protocol: 1, clientId: local.clientId, threads: [{ id: t.id, baseVersion, ops: pushed }] }),
      });

    const first = await push(0, ops);
    // The replays: one after the other, then two at once.
    const replays = [await push(0, ops), ...(await Promise.all([push(0, ops), push(0, ops)]))];
    for (const r of [first, ...replays]) {
      assert.equal(r.status, 200);
      assert.deepEqual((r.body as { threads: unknown[] }).threads, [{ id: t.id, status: 'ok', v: ops.length }]);
    }
    let stored = await serverOps(server.url, token, t.id);
    assert.deepEqual(stored, ops, 'the server holds exactly the pushed ops');

    // A retry that carries acknowledged ops and new ones stores only the new ones.
    await local.append(t.id, { type: 'assistant:message', message: { content: 'three' } });
    const more = await local.history(t.id);
    for (let i = 0; i < 3; i++) {
      const r = await push(0, more);
      assert.deepEqual((r.body as { threads: unknown[] }).threads, [{ id: t.id, status: 'ok', v: more.length }]);
    }
    stored = await serverOps(server.url, token, t.id);
    assert.deepEqual(stored, more);
    const thread = await serverThread(server.url, token, t.id);
    assert.deepEqual(
      thread.messages.map((m) => m.content),
      ['one', 'two', '', 'three'],
    );
    assertNoDuplicates(stored, thread.messages);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^skein_sync_pushed_ops_total ${more.length}$`, 'm'), 'each op was applied exactly once');
  });

  test('a push whose response was lost is acknowledged on the retry, not applied twice', async () => {
    const proxy: TcpProxy = await startTcpProxy(server.url);
    cleanup.push(() => proxy.close());
    const device: Device = await openDevice('lossy', proxy.url, token);
    cleanup.push(() => device.close());
    const t = await device.store.createThread({ title: 'lossy' });
    await device.store.append(t.id, { type: 'user:message', message: { content: 'first' } });

    // Every answer is lost: the push is stored, the client only sees broken connections.
    proxy.dropResponses(Infinity);
    await assert.rejects(device.store.sync.now(), (err) => err instanceof SkeinError && err.code === 'NETWORK');
    assert.ok(proxy.dropped >= 1);
    assert.equal((await serverOps(server.url, token, t.id)).length, 2, 'the server did store the push');
    // More is written while the client still believes nothing was acknowledged.
    await device.store.append(t.id, { type: 'assistant:message', message: { content: 'second' } });

    proxy.dropResponses(0);
    await settle([device]);
    await assertConverged([device], server.url, token);
    const stored = await serverOps(server.url, token, t.id);
    const thread = await serverThread(server.url, token, t.id);
    assert.deepEqual(
      thread.messages.map((m) => m.content),
      ['first', 'second'],
    );
    assert.equal(stored.length, 3);
    assertNoDuplicates(stored, thread.messages);
  });

  test('a server killed with SIGKILL right after committing a push loses nothing and doubles nothing', async () => {
    const proxy: TcpProxy = await startTcpProxy(server.url);
    cleanup.push(() => proxy.close());
    const device: Device = await openDevice('crashy', proxy.url, token);
    cleanup.push(() => device.close());
    const other: Device = await openDevice('other', server.url, token, { memory: true });
    cleanup.push(() => other.close());
    const t = await device.store.createThread({ title: 'crash' });
    await device.store.append(t.id, [
      { type: 'user:message', message: { content: 'before the crash' } },
      { type: 'assistant:message', message: { content: 'calling', toolCalls: [{ id: 'k1', name: 'run', input: { cmd: 'make' } }] } },
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'k1', output: 'ok' }] } },
    ]);

    // The server dies the moment it starts answering the push: after its commit, before the client hears.
    let killed: Promise<void> | undefined;
    proxy.dropResponses(1, () => (killed = server.kill('SIGKILL')));
    await assert.rejects(device.store.sync.now(), (err) => err instanceof SkeinError && err.code === 'NETWORK');
    assert.ok(killed, 'the push reached the server and was answered');
    await killed;
    await device.store.append(t.id, { type: 'assistant:message', message: { content: 'while the server was down' } });

    await server.restart();
    const afterRestart = await serverOps(server.url, token, t.id);
    assert.equal(afterRestart.length, 4, 'the committed push survived the kill');
    await settle([device, other]);
    await assertConverged([device, other], server.url, token);
    const stored = await serverOps(server.url, token, t.id);
    const thread = await serverThread(server.url, token, t.id);
    assert.equal(stored.length, 5);
    assert.deepEqual(
      thread.messages.map((m) => m.content),
      ['before the crash', 'calling', '', 'while the server was down'],
    );
    assertNoDuplicates(stored, thread.messages);
  });
});
