/**
 * Sync moves deltas, not threads: with a 10,000-message thread on two devices, appending one
 * message and syncing moves less than 2 KB each way on the writing device (push and pull), and
 * less than 2 KB each way on the device that receives it. Counted twice: by the engine's own
 * byte counters (`store.sync.bytes`, bodies as sent), and by a TCP proxy in front of the server
 * (everything on the wire, HTTP headers included).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delta } from '../../src/index.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { openDevice, serverThread, settle, type Device } from '../helpers/sync-devices.js';

const MESSAGES = 10_000;
const LIMIT = 2048;

describe('bytes on the wire', () => {
  let data: string;
  let server: ServerProcess;
  let token: string;
  const proxies: TcpProxy[] = [];
  const devices: Device[] = [];

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    server = await startServerProcess({ data });
    token = await server.token('bytes');
  });
  after(async () => {
    for (const d of devices) await d.close();
    for (const p of proxies) await p.close();
    await server?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test(`appending one message to a ${MESSAGES}-message thread moves less than 2 KB each way`, async (t) => {
    proxies.push(await startTcpProxy(server.url), await startTcpProxy(server.url));
    const [wp, rp] = proxies as [TcpProxy, TcpProxy];
    const writer = await openDevice('writer', wp.url, token);
    const reader = await openDevice('reader', rp.url, token);
    devices.push(writer, reader);

    const th = await writer.store.createThread({ title: 'long' });
    for (let i = 0; i < MESSAGES; i += 1000) {
      const batch: Delta[] = Array.from({ length: 1000 }, (_, j) => ({
        type: j % 2 ? 'assistant:message' : 'user:message',
        message: { content: `message ${i + j}: ${'lorem ipsum '.repeat(4)}` },
      }));
      await writer.store.append(th.id, batch);
    }
    await settle([writer, reader]);
    assert.equal((await reader.store.getThread(th.id))?.messages.length, MESSAGES);

    const measure = async (d: Device, p: TcpProxy, fn: () => Promise<unknown>) => {
      const engine0 = d.store.sync.bytes;
      const wire0 = { ...p.bytes };
      await fn();
      const engine1 = d.store.sync.bytes;
      return {
        engine: { sent: engine1.sent - engine0.sent, received: engine1.received - engine0.received },
        wire: { sent: p.bytes.up - wire0.up, received: p.bytes.down - wire0.down },
      };
    };
    const content = 'one more message, about as long as a short chat line';
    const write = await measure(writer, wp, async () => {
      await writer.store.append(th.id, { type: 'user:message', message: { content } });
      const r = await writer.store.sync.now();
      assert.equal(r.pushed, 1);
    });
    const read = await measure(reader, rp, async () => {
      const r = await reader.store.sync.now();
      assert.equal(r.pulled, 1);
    });
    t.diagnostic(`writer: ${JSON.stringify(write)}; reader: ${JSON.stringify(read)}`);
    for (const [who, m] of [['writer', write], ['reader', read]] as const)
      for (const [how, b] of Object.entries(m)) {
        assert.ok(b.sent < LIMIT, `${who} sent ${b.sent} bytes (${how})`);
        assert.ok(b.received < LIMIT, `${who} received ${b.received} bytes (${how})`);
      }
    const onServer = await serverThread(server.url, token, th.id);
    assert.equal(onServer.messages.length, MESSAGES + 1);
    assert.equal((await reader.store.getThread(th.id))?.messages.at(-1)?.content, content);
  });
});
