/**
 * The server tier and explicit sync, against a real `skein serve`: an append to a thread only
 * the server has settles (it is fetched through the read-through tier, then written); a token
 * the server refuses is reported on a tiered read, not taken for a miss; and after a server
 * restart an explicit `sync.now()` pushes what waits, even for threads backing off from the
 * failures while the server was down.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newThreadId } from '../../src/index.js';
import { useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice, serverOps, type Device } from '../helpers/sync-devices.js';

describe('server tier and explicit sync', () => {
  let server: ServerProcess;
  let token: string;
  const devices: Device[] = [];
  const cleanup = useServerProcess('tiers', [], (s, t) => {
    server = s;
    token = t;
  });
  cleanup.push(async () => {
    for (const d of devices) await d.close();
  });

  test('an append to a thread only the server has settles and reaches the server', { timeout: 30_000 }, async () => {
    const a = await openDevice('tier-a', server.url, token);
    const b = await openDevice('tier-b', server.url, token);
    devices.push(a, b);
    const t = await a.store.createThread({ title: 'on the server' });
    assert.equal((await a.store.sync.now()).pushed, 1);

    // b never saw the thread: the write path finds it through the server tier.
    const after = await b.store.append(t.id, { type: 'user:message', message: { content: 'from b' } });
    assert.equal(after.v, 2);
    assert.deepEqual((await b.store.getThread(t.id))!.messages.map((m) => m.content), ['from b']);
    assert.equal((await b.store.sync.now()).pushed, 1);
    assert.deepEqual((await serverOps(server.url, token, t.id)).map((op) => op.type), ['thread:create', 'user:message']);
  });

  test('a refused token on a tiered read is reported as UNAUTHORIZED, not taken for a missing thread', async () => {
    const d = await openDevice('tier-badtoken', server.url, 'not-a-token');
    devices.push(d);
    await assert.rejects(d.store.getThread(newThreadId()), (e: { code?: string }) => e.code === 'UNAUTHORIZED');
  });

  test('after a server restart, an explicit sync.now() pushes threads that are backing off', { timeout: 60_000 }, async () => {
    // A backoff of up to ~11 days: without the explicit override nothing would go before the test ends.
    const d = await openDevice('tier-restart', server.url, token, { remote: { backoffBaseMs: 1e9, backoffCapMs: 1e9 } });
    devices.push(d);
    const t = await d.store.createThread({ title: 'written while the server is down' });
    await server.kill();
    const down = await d.store.sync.now().catch((err: unknown) => err);
    assert.ok(!(down instanceof Error) || /ECONNREFUSED|NETWORK|connect/i.test(String(down)), String(down));
    assert.equal(d.store.sync.status().pending, 1);
    await server.restart();
    const r = await d.store.sync.now();
    assert.equal(r.pushed, 1);
    assert.deepEqual((await serverOps(server.url, token, t.id)).map((op) => op.type), ['thread:create']);
  });
});
