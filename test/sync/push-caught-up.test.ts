/**
 * One request per sync round when nothing else is new: a push names the client's pull cursor and,
 * when every op the server holds after it is one this push stored, the answer moves the cursor and
 * the client does not pull. Any op of another device after the cursor means a normal pull that
 * brings it; an older client that names no cursor gets no `cursor` in the answer.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpRecorder, type RecordedRequest } from '../helpers/http-recorder.js';
import { api, useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice } from '../helpers/sync-devices.js';

const pulls = (requests: RecordedRequest[]) => requests.filter((q) => q.path.startsWith('/v1/sync/pull')).length;
const pushes = (requests: RecordedRequest[]) => requests.filter((q) => q.path === '/v1/sync/push').length;

describe('a push that leaves the client caught up needs no pull', () => {
  let server: ServerProcess;
  let token: string;
  const cleanup = useServerProcess('caught-up', [], (s, t) => {
    server = s;
    token = t;
  });

  test('alone on the server: each round is one push; another device\'s op brings the pull back', async () => {
    const recorder = await startHttpRecorder(server.url);
    cleanup.push(() => recorder.close());
    const a = await openDevice('caught-a', recorder.url, token, { memory: true });
    const b = await openDevice('caught-b', server.url, token, { memory: true });
    cleanup.push(() => a.close(), () => b.close());

    const t = await a.store.createThread({ title: 'mine' });
    await a.store.sync.now();
    for (let i = 0; i < 3; i++) {
      await a.store.append(t.id, { type: 'user:message', message: { content: `m${i}` } });
      const before = recorder.requests.length;
      const r = await a.store.sync.now();
      assert.equal(r.pushed, 1);
      assert.equal(pushes(recorder.requests.slice(before)), 1, 'one push');
      assert.equal(pulls(recorder.requests.slice(before)), 0, 'no pull: the push answered that nothing else is new');
    }

    // Device b writes: a's next push is not the only news, so a pulls and gets b's thread.
    const other = await b.store.createThread({ title: 'theirs' });
    await b.store.sync.now();
    await a.store.append(t.id, { type: 'user:message', message: { content: 'after b' } });
    const before = recorder.requests.length;
    const r = await a.store.sync.now();
    assert.equal(pulls(recorder.requests.slice(before)), 1, 'a pull for the other device\'s op');
    assert.equal(r.pulled, 1);
    assert.equal((await a.store.getThread(other.id))?.title, 'theirs');
    await b.store.sync.now();
    assert.equal((await b.store.getThread(t.id))?.messages.length, 4, 'b still gets all of a\'s messages by pull');
  });

  test('the answer carries a cursor only for a client that named one, and only when it is true', async () => {
    const device = await openDevice('caught-raw', server.url, token, { memory: true });
    cleanup.push(() => device.close());
    const t = await device.store.createThread({ title: 'raw' });
    const ops = await device.store.history(t.id, { fromVersion: 0 });
    const body = JSON.stringify({ clientId: 'raw-client', threads: [{ id: t.id, baseVersion: 0, ops }] });
    const push = (headers: Record<string, string>) => api(server.url, token, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const plain = (await push({})).body as { cursor?: number };
    assert.equal(plain.cursor, undefined, 'no cursor named, none answered');
    // A cursor of 0 on a workspace that holds other threads' ops: not caught up.
    const stale = (await push({ 'skein-pull-cursor': '0' })).body as { cursor?: number; threads: { status: string }[] };
    assert.equal(stale.threads[0]!.status, 'ok');
    assert.equal(stale.cursor, undefined, 'other ops after the cursor');
    const head = ((await api(server.url, token, '/v1/sync/pull?cursor=0&limit=5000')).body as { cursor: number }).cursor;
    const current = (await push({ 'skein-pull-cursor': String(head) })).body as { cursor?: number };
    assert.equal(current.cursor, head, 'nothing after the cursor, nothing stored: caught up where it was');
    const bad = await push({ 'skein-pull-cursor': 'abc' });
    assert.equal(bad.status, 200);
    assert.equal((bad.body as { cursor?: number }).cursor, undefined, 'a cursor that is not a count is ignored');
  });
});
