/**
 * The client engine against a real `skein serve`: pushes go in batches of at most 50 threads,
 * main threads first; a thread the server refuses outright (an op over its body limit) is set
 * aside and reported without holding back the threads pushed with it; writes never wait for the
 * network (a server that never answers, or none at all); and a fresh device reads a thread it
 * lacks from the server and keeps it locally, even while a pull brings the same thread.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newThreadId, openStore, type ThreadID } from '../../src/index.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { asJson, openDevice, serverOps, serverThread, serverThreadIds, settle, type Device } from '../helpers/sync-devices.js';

const MAX_BODY = 65_536;

describe('the sync engine with a real server', () => {
  let server: ServerProcess;
  let token: string;
  const cleanup = useServerProcess('engine', ['--max-body', String(MAX_BODY)], (s, t) => {
    server = s;
    token = t;
  });

  test('pushes go in batches of at most 50 threads, main threads before summaries', async () => {
    const recorder = await startHttpRecorder(server.url);
    cleanup.push(() => recorder.close());
    const device = await openDevice('batches', recorder.url, token, { memory: true });
    cleanup.push(() => device.close());
    const mains: ThreadID[] = [];
    const summaries: ThreadID[] = [];
    for (let i = 0; i < 60; i++) mains.push((await device.store.createThread({ title: `main ${i}` })).id);
    for (let i = 0; i < 60; i++) summaries.push((await device.store.createSummaryThread(mains[i]!, `summary ${i}`)).id);

    const r = await device.store.sync.now();
    const pushed = recorder.requests.filter((q) => q.path === '/v1/sync/push').map((q) => (q.body as { threads: { id: ThreadID }[] }).threads.map((t) => t.id));
    assert.deepEqual(
      pushed.map((p) => p.length),
      [50, 50, 20],
    );
    assert.equal(new Set(pushed.flat()).size, 120, 'each thread pushed once');
    assert.deepEqual(new Set(pushed[0]), new Set(pushed[0]!.filter((id) => mains.includes(id))), 'the first batch is all main threads');
    assert.ok(pushed[2]!.every((id) => summaries.includes(id)));
    assert.equal(r.failed, 0);
    assert.deepEqual(new Set(await serverThreadIds(server.url, token)), new Set([...mains, ...summaries]));
  });

  test('a thread the server refuses outright is set aside and reported; the others of its batch get through', async () => {
    const device = await openDevice('poison', server.url, token, { memory: true });
    cleanup.push(() => device.close());
    const before1 = await device.store.createThread({ title: 'before' });
    const big = await device.store.createThread({ title: 'too big' });
    // Random bytes do not compress: this one op is over the server's body limit however it is sent.
    await device.store.append(big.id, { type: 'user:message', message: { content: randomBytes(MAX_BODY).toString('base64') } });
    const after1 = await device.store.createThread({ title: 'after' });

    const r = await device.store.sync.now();
    assert.equal(r.failed, 1);
    const status = device.store.sync.status();
    assert.deepEqual(
      status.poisoned.map((p) => [p.id, p.code]),
      [[big.id, 'PAYLOAD_TOO_LARGE']],
    );
    assert.match(status.poisoned[0]!.message, /too large|over/);
    const ids = await serverThreadIds(server.url, token);
    assert.ok(ids.includes(before1.id) && ids.includes(after1.id), 'the rest of the batch is on the server');
    assert.ok(!ids.includes(big.id));

    // Later rounds leave it aside and keep syncing the rest.
    await device.store.append(after1.id, { type: 'user:message', message: { content: 'still syncing' } });
    const again = await device.store.sync.now();
    assert.equal(again.failed, 0);
    assert.equal(again.pushed, 1);
    assert.equal((await serverOps(server.url, token, after1.id)).length, 2);
    assert.equal((await device.store.getThread(big.id))?.messages.length, 1, 'the refused thread is still whole locally');
  });

  // The test's own time limit stands for "close does not wait for the request timeout": the
  // black hole's requests would otherwise hold close() for ten minutes.
  test('writes never wait for the network: a server that never answers, or none at all', { timeout: 60_000 }, async () => {
    // A black hole: accepts connections and never answers.
    const held = new Set<Socket>();
    const hole = createServer((s) => void held.add(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const holeUrl = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    cleanup.push(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => hole.close(() => r()));
    });
    // And a port where nothing listens.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise<void>((r) => gone.close(() => r()));

    for (const url of [holeUrl, goneUrl]) {
      const device: Device = await openDevice('offline', url, token, { remote: { autoStart: true, live: true, intervalMs: 50, timeoutMs: 600_000 } });
      const t = await device.store.createThread({ title: 'offline' });
      for (let i = 0; i < 20; i++) await device.store.append(t.id, { type: 'user:message', message: { content: `m${i}` } });
      const thread = await device.store.getThread(t.id);
      assert.equal(thread?.messages.length, 20, `every write resolved and is readable (${url === holeUrl ? 'black hole' : 'no server'})`);
      assert.ok(device.store.sync.status().pending >= 1, 'and waits in the outbox');
      await device.close();
    }
  });

  test("tiered read: a fresh device's getThread fetches from the server and keeps the thread locally", async () => {
    const writer = await openDevice('writer', server.url, token, { memory: true });
    cleanup.push(() => writer.close());
    const t = await writer.store.createThread({ title: 'far away' });
    await writer.store.append(t.id, [
      { type: 'user:message', message: { content: 'question' } },
      { type: 'assistant:message', message: { content: 'answer', resourceUsage: { model: 'm', inputTokens: 3, outputTokens: 4 } } },
    ]);
    await settle([writer]);

    const dir = mkdtempSync(join(tmpdir(), 'skein-fresh-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const fresh = await openStore({ dir, remote: { url: server.url, token, autoStart: false } });
    assert.equal(await fresh.getThread(newThreadId()), null, 'a thread nobody has is null');
    const read = await fresh.getThread(t.id);
    assert.deepEqual(asJson(read), await serverThread(server.url, token, t.id));
    await fresh.close();

    // Kept locally: the same directory without a server still has it, log and all.
    const offline = await openStore({ dir });
    assert.deepEqual(asJson(await offline.getThread(t.id)), asJson(read));
    assert.deepEqual(await offline.history(t.id), await serverOps(server.url, token, t.id));
    await offline.close();

    // And the synced copy is the baseline for its next sync: nothing is fetched or pushed twice.
    const again = await openStore({ dir, remote: { url: server.url, token, autoStart: false } });
    await again.append(t.id, { type: 'user:message', message: { content: 'follow-up' } });
    const r = await again.sync.now();
    assert.equal(r.pushed, 1);
    assert.equal(r.conflicts, 0);
    assert.equal((await serverOps(server.url, token, t.id)).length, 4);
    await again.close();
  });

  test('a tiered read racing a pull of the same threads still finds every thread', async () => {
    const writer = await openDevice('many', server.url, token, { memory: true });
    cleanup.push(() => writer.close());
    const ids: ThreadID[] = [];
    for (let i = 0; i < 20; i++) ids.push((await writer.store.createThread({ title: `race ${i}` })).id);
    await settle([writer]);
    for (let round = 0; round < 5; round++) {
      const fresh = await openDevice('fresh', server.url, token, { memory: true });
      // The pull and the reads fetch the same threads at the same time; whichever stores one first, the read finds it.
      const [reads] = await Promise.all([Promise.all(ids.map((id) => fresh.store.getThread(id))), fresh.store.sync.now()]);
      assert.deepEqual(
        reads.map((t) => t?.id ?? null),
        ids,
      );
      await fresh.close();
    }
  });
});
