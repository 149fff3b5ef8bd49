/**
 * The engine's failure handling, against a fake server on loopback that answers what a test
 * needs: a thread whose pushes get a 503 with `Retry-After` backs off on its own (it is not pushed
 * again before the Retry-After ends, while other threads keep syncing), and a thread the server
 * rejects is set aside as poison, reported by status(), never retried on its own, and does not
 * hold back the other threads of its batch. And `sync.now()` asked while a round runs waits for
 * a round that includes the writes made before it was asked.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ThreadID } from '../../src/index.js';
import { startFakeServer, type FakeAnswer, type FakeServer, type RecordedRequest } from '../helpers/http-recorder.js';
import { openDevice, type Device } from '../helpers/sync-devices.js';

type PushBody = { threads: { id: ThreadID; baseVersion: number; ops: { v: number }[] }[] };

const emptyPull: FakeAnswer = { status: 200, body: { type: 'pull:result', protocol: 1, cursor: 0, changes: [], hasMore: false } };

/** The ids in each recorded push. */
function pushes(server: FakeServer): ThreadID[][] {
  return server.requests.filter((r) => r.path === '/v1/sync/push').map((r) => (r.body as PushBody).threads.map((t) => t.id));
}

/** A push:result: `ok` at each thread's last op, unless `answer` says otherwise for a thread. */
function answerPush(req: RecordedRequest, answer: (id: ThreadID) => object | undefined = () => undefined): FakeAnswer {
  const threads = (req.body as PushBody).threads.map((t) => answer(t.id) ?? { id: t.id, status: 'ok', v: t.ops.at(-1)!.v });
  return { status: 200, body: { type: 'push:result', protocol: 1, threads } };
}

describe('engine backoff and poison', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test("a 503 with Retry-After holds back that thread only, and never sooner than the server asked", async () => {
    const slow: { id?: ThreadID } = {};
    let busy = true;
    let firstAnswerAt = 0;
    const server = await startFakeServer((req) => {
      if (req.path !== '/v1/sync/push') return emptyPull;
      const ids = (req.body as PushBody).threads.map((t) => t.id);
      if (busy && slow.id && ids.includes(slow.id)) {
        firstAnswerAt ||= Date.now();
        return { status: 503, headers: { 'retry-after': '1' }, body: { error: { code: 'SERVER', message: 'busy' } } };
      }
      return answerPush(req);
    });
    cleanup.push(() => server.close());
    // Jitter alone would allow a retry within a few ms: only Retry-After holds the thread back.
    const device: Device = await openDevice('backoff', server.url, 'token', { memory: true, remote: { backoffBaseMs: 1, backoffCapMs: 5 } });
    cleanup.push(() => device.close());

    slow.id = (await device.store.createThread({ title: 'slow' })).id;
    const first = await device.store.sync.now();
    assert.equal(first.failed, 1);
    assert.match(device.store.sync.status().lastError ?? '', /busy/);

    // Another thread syncs at once, alone: the failing one waits out its Retry-After.
    const fast = await device.store.createThread({ title: 'fast' });
    const second = await device.store.sync.now();
    assert.equal(second.pushed, 1);
    assert.deepEqual(pushes(server), [[slow.id], [fast.id]]);

    busy = false;
    while (pushes(server).length < 3) {
      await device.store.sync.now();
      await new Promise((r) => setTimeout(r, 25));
    }
    const retry = server.requests.filter((r) => r.path === '/v1/sync/push')[2]!;
    assert.deepEqual(pushes(server)[2], [slow.id]);
    assert.ok(retry.at - firstAnswerAt >= 1000, `retried ${retry.at - firstAnswerAt} ms after a Retry-After of 1 s`);
    assert.equal(device.store.sync.status().pending, 0);
  });

  test('a rejected thread is set aside and reported; the rest of its batch syncs; retryPoisoned brings it back', async () => {
    const poisoned: { id?: ThreadID } = {};
    let reject = true;
    const server = await startFakeServer((req) =>
      req.path !== '/v1/sync/push'
        ? emptyPull
        : answerPush(req, (id) => (reject && id === poisoned.id ? { id, status: 'rejected', code: 'VALIDATION', message: 'op 2 is not acceptable' } : undefined)),
    );
    cleanup.push(() => server.close());
    const device: Device = await openDevice('poison', server.url, 'token', { memory: true });
    cleanup.push(() => device.close());

    const good1 = await device.store.createThread({ title: 'good 1' });
    const bad = await device.store.createThread({ title: 'bad' });
    poisoned.id = bad.id;
    const good2 = await device.store.createThread({ title: 'good 2' });
    const r = await device.store.sync.now();
    assert.equal(r.pushed, 2);
    assert.deepEqual(pushes(server).map((p) => [...p].sort()), [[good1.id, bad.id, good2.id].sort()], 'one batch');
    assert.deepEqual(device.store.sync.status().poisoned, [{ id: bad.id, code: 'VALIDATION', message: 'op 2 is not acceptable' }]);

    // Set aside: more writes to it and more rounds never push it; the good threads keep syncing.
    await device.store.append(bad.id, { type: 'user:message', message: { content: 'more' } });
    await device.store.append(good1.id, { type: 'user:message', message: { content: 'more' } });
    await device.store.sync.now();
    await device.store.sync.now();
    assert.deepEqual(pushes(server).slice(1), [[good1.id]]);
    assert.equal(device.store.sync.status().poisoned.length, 1);

    reject = false;
    device.store.sync.retryPoisoned();
    await device.store.sync.now();
    assert.deepEqual(pushes(server).at(-1), [bad.id]);
    assert.deepEqual(device.store.sync.status().poisoned, []);
  });

  test('sync.now() called while a round runs resolves only after a round that saw the writes made before the call', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let pulls = 0;
    const server = await startFakeServer(async (req) => {
      if (req.path === '/v1/sync/push') return answerPush(req);
      // The first round's pull hangs until the test lets it go.
      if (++pulls === 1) await gate;
      return emptyPull;
    });
    cleanup.push(() => server.close());
    const device: Device = await openDevice('joiner', server.url, 'token', { memory: true });
    cleanup.push(() => device.close());
    const t = await device.store.createThread({ title: 'joined' });

    const first = device.store.sync.now();
    while (pulls === 0) await new Promise((r) => setTimeout(r, 5));
    // The first round is past its pushes: this write is not in it.
    await device.store.append(t.id, { type: 'user:message', message: { content: 'late' } });
    const second = device.store.sync.now();
    openGate();
    await first;
    await second;
    const pushed = server.requests
      .filter((r) => r.path === '/v1/sync/push')
      .flatMap((r) => (r.body as PushBody).threads.map((th) => [th.id, th.baseVersion, th.ops.length]));
    assert.deepEqual(pushed, [
      [t.id, 0, 1],
      [t.id, 1, 1],
    ]);
  });
});
