/**
 * The message size the library takes and the body size the server takes agree: an op too large
 * for one sync request is refused when written (PAYLOAD_TOO_LARGE, nothing stored), and every op
 * the store accepts reaches a server with the default limits, however many large ones a thread or
 * a batch holds: pushes are split by bytes, so one large op never blocks the rest of its thread.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SkeinError } from '../../src/index.js';
import { MAX_OP_BYTES } from '../../src/model/op-size.js';
import { useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { assertConverged, openDevice, serverOps } from '../helpers/sync-devices.js';

/** Text that gzip cannot shrink, `bytes` long. */
const noise = (bytes: number) => randomBytes(Math.ceil(bytes * 0.75)).toString('base64').slice(0, bytes);

describe('large messages and the server body limit', () => {
  let server!: ServerProcess;
  let token!: string;
  const cleanup = useServerProcess('large', [], (s, t) => {
    server = s;
    token = t;
  });

  test('a 12 MB tool output is refused locally with PAYLOAD_TOO_LARGE and nothing is written', async () => {
    const d = await openDevice('too-big', server.url, token, { memory: true });
    cleanup.push(() => d.close());
    const t = await d.store.createThread({ title: 'tool output' });
    await d.store.append(t.id, { type: 'assistant:message', message: { content: 'running', toolCalls: [{ id: 'c1', name: 'cat', input: {} }] } });
    await assert.rejects(
      d.store.append(t.id, { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: noise(12_000_000) }] } }),
      (e: unknown) => {
        assert.ok(e instanceof SkeinError, String(e));
        assert.equal(e.code, 'PAYLOAD_TOO_LARGE');
        assert.match(e.message, /at most \d+ fit in one sync request/);
        return true;
      },
    );
    assert.equal((await d.store.getThread(t.id))?.v, 2, 'nothing was written');
    await d.store.append(t.id, { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: 'a summary instead' }] } });
    const r = await d.store.sync.now();
    assert.equal(r.failed, 0);
    assert.equal((await serverOps(server.url, token, t.id)).length, 3);
  });

  test('a thread of several large ops, and a batch beside it, all reach the server: nothing is set aside', async () => {
    const d = await openDevice('many-big', server.url, token, { memory: true });
    cleanup.push(() => d.close());
    const small = await d.store.createThread({ title: 'small beside' });
    const t = await d.store.createThread({ title: 'large ops' });
    await d.store.append(t.id, { type: 'user:message', message: { content: 'before' } });
    // Each fits in one request alone; no two fit in one.
    for (let i = 0; i < 3; i++) await d.store.append(t.id, { type: 'assistant:message', message: { content: noise(Math.floor(MAX_OP_BYTES * 0.6)) } });
    await d.store.append(t.id, { type: 'user:message', message: { content: 'after' } });
    const other = await d.store.createThread({ title: 'after it in the batch' });

    const r = await d.store.sync.now();
    assert.equal(r.failed, 0, JSON.stringify(d.store.sync.status()));
    assert.deepEqual(d.store.sync.status().poisoned, []);
    assert.equal((await serverOps(server.url, token, t.id)).length, 6);
    assert.equal((await serverOps(server.url, token, small.id)).length, 1);
    assert.equal((await serverOps(server.url, token, other.id)).length, 1);
    const fresh = await openDevice('many-big-reader', server.url, token, { memory: true });
    cleanup.push(() => fresh.close());
    await fresh.store.sync.now();
    await assertConverged([d, fresh], server.url, token);
  });
});
