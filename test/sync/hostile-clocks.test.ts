/**
 * Clocks and times a hostile or broken device pushes: a stamp far ahead of the server's clock
 * (`hlc: "ffffffffffffffff"`) or a date JavaScript cannot hold (`timestamp: 1e300`) is refused per
 * thread with a code, never stored and never a 5xx; the other threads of the same push go
 * through; a device that keeps writing to a healthy thread is never poisoned by it. Locally such
 * a timestamp is a VALIDATION error. A 503 that still answers per thread keeps its `ok` results.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SkeinError, type ThreadID } from '../../src/index.js';
import type { Op } from '../../src/model/types.js';
import { startFakeServer, type RecordedRequest } from '../helpers/http-recorder.js';
import { api, useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice, serverOps, settle, type Device } from '../helpers/sync-devices.js';

type PushAnswer = { threads: { id: ThreadID; status: string; code?: string; v?: number }[] };

describe('the server refuses clocks and times that would poison a thread', () => {
  let server!: ServerProcess;
  let token!: string;
  const cleanup = useServerProcess('clocks', [], (s, t) => {
    server = s;
    token = t;
  });

  /** A thread made on a throwaway local store: its op log, to tamper with before pushing by hand. */
  async function opsOf(device: Device, title: string, messages = 1): Promise<{ id: ThreadID; ops: Op[] }> {
    const t = await device.store.createThread({ title });
    for (let i = 0; i < messages; i++) await device.store.append(t.id, { type: 'user:message', message: { content: `${title} ${i}` } });
    return { id: t.id, ops: await device.store.history(t.id) };
  }

  async function push(threads: { id: ThreadID; baseVersion: number; ops: unknown[] }[]) {
    return api(server.url, token, '/v1/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'push', protocol: 1, clientId: 'hostile', threads }),
    });
  }

  test('a far-future hlc and a 1e300 timestamp are rejected per thread (VALIDATION), the rest of the push is stored', async () => {
    const local = await openDevice('forge', 'http://127.0.0.1:9', 'x', { memory: true });
    cleanup.push(() => local.close());
    const good = await opsOf(local, 'good');
    const future = await opsOf(local, 'future');
    future.ops[1] = { ...future.ops[1]!, hlc: 'ffffffffffffffff' } as Op;
    const huge = await opsOf(local, 'huge');
    const m = huge.ops[1]! as Op & { message: { timestamp: number } };
    huge.ops[1] = { ...m, message: { ...m.message, timestamp: 1e300 } } as Op;

    const r = await push([good, future, huge].map((t) => ({ id: t.id, baseVersion: 0, ops: t.ops })));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const byId = new Map((r.body as PushAnswer).threads.map((t) => [t.id, t]));
    assert.equal(byId.get(good.id)?.status, 'ok');
    assert.equal(byId.get(future.id)?.status, 'rejected');
    assert.equal(byId.get(future.id)?.code, 'VALIDATION');
    assert.equal(byId.get(huge.id)?.status, 'rejected');
    assert.equal(byId.get(huge.id)?.code, 'VALIDATION');
    assert.equal((await serverOps(server.url, token, good.id)).length, 2);
    assert.equal((await api(server.url, token, `/v1/threads/${future.id}`)).status, 404, 'nothing of the rejected thread was stored');
    assert.doesNotMatch(server.stderr(), /Invalid time value/);
  });

  test('a stamp in an order key is checked too, and a thread stays writable for honest devices', async () => {
    const local = await openDevice('forge2', 'http://127.0.0.1:9', 'x', { memory: true });
    cleanup.push(() => local.close());
    const t = await opsOf(local, 'keyed', 1);
    const op = t.ops[1]! as Op & { message: { key: string } };
    t.ops[1] = { ...op, message: { ...op.message, key: 'fffffffffff00000' + op.message.key.slice(16) } } as Op;
    const r = await push([{ id: t.id, baseVersion: 0, ops: t.ops }]);
    assert.equal((r.body as PushAnswer).threads[0]?.code, 'VALIDATION');

    // An honest device writes on: never set aside.
    const d = await openDevice('honest', server.url, token, { memory: true });
    cleanup.push(() => d.close());
    const th = await d.store.createThread({ title: 'honest' });
    for (let i = 0; i < 3; i++) await d.store.append(th.id, { type: 'user:message', message: { content: `m${i}` } });
    await settle([d]);
    assert.deepEqual(d.store.sync.status().poisoned, []);
    assert.equal((await serverOps(server.url, token, th.id)).length, 4);
  });

  test('locally, a timestamp above 8.64e15 is a VALIDATION error naming the field, not a RangeError', async () => {
    const d = await openDevice('local-ts', 'http://127.0.0.1:9', 'x', { memory: true });
    cleanup.push(() => d.close());
    const t = await d.store.createThread();
    for (const timestamp of [8.64e15 + 1, 1e300]) {
      await assert.rejects(d.store.append(t.id, { type: 'user:message', message: { content: 'x', timestamp } }), (e: unknown) => {
        assert.ok(e instanceof SkeinError, String(e));
        assert.equal(e.code, 'VALIDATION');
        assert.match(e.message, /timestamp/);
        return true;
      });
    }
    await d.store.append(t.id, { type: 'user:message', message: { content: 'x', timestamp: 8.64e15 } });
    assert.equal((await d.store.getThread(t.id))?.v, 2, 'the latest date JavaScript holds is fine, nothing else was written');
  });
});

describe('a 503 that still answers per thread', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test("keeps the other threads' ok results: only the failed thread is pushed again", async () => {
    let failing: ThreadID | undefined;
    const server = await startFakeServer((req: RecordedRequest) => {
      if (req.path !== '/v1/sync/push') return { status: 200, body: { type: 'pull:result', protocol: 1, cursor: 0, changes: [], hasMore: false } };
      const threads = (req.body as { threads: { id: ThreadID; ops: { v: number }[] }[] }).threads.map((t) =>
        t.id === failing
          ? { id: t.id, status: 'rejected', code: 'SERVER', message: 'the server failed to store this thread; retry later' }
          : { id: t.id, status: 'ok', v: t.ops.at(-1)!.v },
      );
      const failed = threads.some((t) => t.status === 'rejected');
      return { status: failed ? 503 : 200, headers: failed ? { 'retry-after': '0' } : ({} as Record<string, string>), body: { type: 'push:result', protocol: 1, threads } };
    });
    cleanup.push(() => server.close());
    const d = await openDevice('partial', server.url, 'token', { memory: true, remote: { backoffBaseMs: 1, backoffCapMs: 2 } });
    cleanup.push(() => d.close());
    const a = await d.store.createThread({ title: 'a' });
    const b = await d.store.createThread({ title: 'b' });
    failing = b.id;
    const r = await d.store.sync.now();
    assert.equal(r.pushed, 1, 'a is acknowledged');
    assert.equal(r.failed, 1);
    assert.deepEqual(d.store.sync.status().poisoned, [], 'a server failure is not poison');
    failing = undefined;
    await new Promise((res) => setTimeout(res, 20));
    await d.store.sync.now();
    const pushed = server.requests.filter((q) => q.path === '/v1/sync/push').map((q) => (q.body as { threads: { id: ThreadID }[] }).threads.map((t) => t.id));
    assert.deepEqual(pushed[1], [b.id], 'the second push carries only the thread that failed');
    assert.equal(d.store.sync.status().pending, 0);
    void a;
  });
});
