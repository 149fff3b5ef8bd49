/**
 * What the server does with requests it must refuse, against a real `skein serve`: no token, a
 * bad token, another workspace's token (its threads are 404, their content never appears),
 * malformed JSON, wrong types, oversized and gzip-bomb bodies. Each is a clear 4xx with a JSON
 * `{ error: { code, message } }`, nothing is written, and the server keeps serving. One bad
 * thread in a push is rejected on its own and never blocks the others.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { newThreadId, openStore, type Op, type Store, type ThreadID } from '../../src/index.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice, serverOps, serverThreadIds, settle, type Device } from '../helpers/sync-devices.js';

const MAX_BODY = 65_536;
const SECRET = 'the-secret-only-alice-may-read';

/** Asserts a refused request: its status, a JSON error with this code and a message. */
function assertError(r: { status: number; body: unknown }, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: status (${JSON.stringify(r.body)})`);
  const error = (r.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  assert.equal(error?.code, code, `${what}: error code`);
  assert.ok(typeof error?.message === 'string' && error.message.length > 0, `${what}: a message`);
  assert.ok(!JSON.stringify(r.body).includes(SECRET), `${what}: leaks another workspace's content`);
}

describe('the server boundary', () => {
  let data: string;
  let server: ServerProcess;
  let alice: string;
  let bob: string;
  let device: Device;
  let local: Store;
  let threadId: ThreadID;
  let aliceOps: Op[];

  /** Everything the server shows alice: her threads, their logs, and a pull from the start. */
  async function aliceState(): Promise<unknown> {
    const ids = await serverThreadIds(server.url, alice);
    const logs = await Promise.all(ids.map((id) => serverOps(server.url, alice, id)));
    const pull = await api(server.url, alice, '/v1/sync/pull?cursor=0');
    return { ids, logs, pull: pull.body };
  }

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    server = await startServerProcess({ data }, ['--max-body', String(MAX_BODY)]);
    [alice, bob] = [await server.token('alice'), await server.token('bob')];
    device = await openDevice('alice', server.url, alice);
    const t = await device.store.createThread({ title: 'private' });
    await device.store.append(t.id, { type: 'user:message', message: { content: SECRET } });
    await settle([device]);
    threadId = t.id;
    aliceOps = await device.store.history(t.id);
    local = await openStore({ dir: ':memory:' });
  });
  after(async () => {
    await device?.close();
    await local?.close();
    await server?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test('auth matrix: no token, bad token, malformed header are 401; another workspace sees nothing of alice', async () => {
    const before = await aliceState();
    const routes: [string, RequestInit?][] = [
      ['/v1/threads'],
      [`/v1/threads/${threadId}`],
      [`/v1/threads/${threadId}/messages`],
      ['/v1/sync/pull?cursor=0'],
      ['/v1/events?cursor=0'],
      ['/v1/sync/push', { method: 'POST', body: JSON.stringify({ clientId: 'x', threads: [{ id: threadId, baseVersion: 0, ops: aliceOps }] }) }],
    ];
    for (const [path, init] of routes) {
      assertError(await api(server.url, undefined, path, init), 401, 'UNAUTHORIZED', `${path} without a token`);
      assertError(await api(server.url, 'skn_not-a-real-token', path, init), 401, 'UNAUTHORIZED', `${path} with a bad token`);
      assertError(
        await api(server.url, undefined, path, { ...init, headers: { authorization: `Basic ${alice}` } }),
        401,
        'UNAUTHORIZED',
        `${path} with a non-bearer header`,
      );
    }

    // Bob's token: alice's thread does not exist for him, and nothing of hers shows anywhere.
    for (const path of [`/v1/threads/${threadId}`, `/v1/threads/${threadId}?sinceVersion=0`, `/v1/threads/${threadId}/messages`])
      assertError(await api(server.url, bob, path), 404, 'NOT_FOUND', `bob reading ${path}`);
    const list = await api(server.url, bob, '/v1/threads');
    assert.equal(list.status, 200);
    assert.deepEqual((list.body as { threads: unknown[] }).threads, []);
    const pull = await api(server.url, bob, '/v1/sync/pull?cursor=0');
    assert.equal(pull.status, 200);
    assert.deepEqual((pull.body as { changes: unknown[] }).changes, []);
    // Bob pushing onto alice's thread id reaches only his own (empty) workspace: a conflict with nothing to show.
    const more = await local.createThread();
    const foreign = (await local.append(more.id, { type: 'user:message', message: { content: 'from bob' } })) && (await local.history(more.id));
    const onto = foreign.slice(1).map((op) => ({ ...op, threadId, v: aliceOps.length + 1 }));
    const push = await api(server.url, bob, '/v1/sync/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'bob', threads: [{ id: threadId, baseVersion: aliceOps.length, ops: onto }] }),
    });
    assert.equal(push.status, 200);
    assert.deepEqual((push.body as { threads: unknown[] }).threads, [{ id: threadId, status: 'conflict', v: 0, ops: [] }]);
    assert.ok(!JSON.stringify(push.body).includes(SECRET));
    assert.deepEqual(await aliceState(), before, 'nothing of alice changed');
    assert.deepEqual(await serverThreadIds(server.url, bob), [], 'nothing was written for bob either');
  });

  test('malformed JSON, wrong types and bad parameters are 400 with the field named; nothing is written', async () => {
    const before = await aliceState();
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      api(server.url, alice, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const bad: [string, string, string | Buffer, Record<string, string>?][] = [
      ['truncated JSON', 'body', '{"clientId": "x", "threads": ['],
      ['not JSON at all', 'body', 'hello'],
      ['an array', 'body', '[]'],
      ['clientId a number', 'clientId', JSON.stringify({ clientId: 7, threads: [] })],
      ['threads an object', 'threads', JSON.stringify({ clientId: 'x', threads: {} })],
      ['a negative base version', 'threads.0.baseVersion', JSON.stringify({ clientId: 'x', threads: [{ id: threadId, baseVersion: -1, ops: [] }] })],
      ['a bad thread id', 'threads.0.id', JSON.stringify({ clientId: 'x', threads: [{ id: 'nope', baseVersion: 0, ops: [] }] })],
      ['an unknown field', 'body', JSON.stringify({ clientId: 'x', threads: [], extra: true })],
      ['a wrong protocol', 'protocol', JSON.stringify({ protocol: 99, clientId: 'x', threads: [] })],
      ['gzip that is not gzip', 'body', 'plain text', { 'content-encoding': 'gzip' }],
    ];
    for (const [what, field, body, headers] of bad) {
      const r = await post(body, headers);
      assertError(r, 400, 'VALIDATION', what);
      assert.equal((r.body as { error: { details?: { field?: string } } }).error.details?.field, field, `${what}: the field`);
    }
    for (const [path, field] of [
      ['/v1/sync/pull?cursor=abc', 'cursor'],
      ['/v1/sync/pull?cursor=-1', 'cursor'],
      ['/v1/sync/pull?limit=1e3', 'limit'],
      ['/v1/threads/T-nope', 'id'],
      ['/v1/threads?limit=x', 'limit'],
    ] as const) {
      const r = await api(server.url, alice, path);
      assertError(r, 400, 'VALIDATION', path);
      assert.equal((r.body as { error: { details?: { field?: string } } }).error.details?.field, field, `${path}: the field`);
    }
    assertError(await api(server.url, alice, `/v1/threads/${newThreadId()}`), 404, 'NOT_FOUND', 'an unknown thread');
    assertError(await api(server.url, alice, '/v1/nothing-here'), 404, 'NOT_FOUND', 'an unknown route');
    assert.deepEqual(await aliceState(), before, 'nothing changed');
  });

  test('bodies over the limit, plain or as a gzip or brotli bomb, are 413; the server keeps serving', async () => {
    const before = await aliceState();
    const big = JSON.stringify({ clientId: 'x', threads: [], pad: 'x'.repeat(MAX_BODY) });
    const plain = await api(server.url, alice, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assertError(plain, 413, 'PAYLOAD_TOO_LARGE', 'an oversized body');
    const inflated = Buffer.from(big + ' '.repeat(4 * MAX_BODY));
    for (const [coding, bomb] of [
      ['gzip', gzipSync(inflated)],
      ['br', brotliCompressSync(inflated)],
    ] as const) {
      assert.ok(bomb.length < MAX_BODY, `the ${coding} bomb itself is small`);
      const r = await api(server.url, alice, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: bomb });
      assertError(r, 413, 'PAYLOAD_TOO_LARGE', `a ${coding} bomb`);
    }
    assert.deepEqual(await aliceState(), before, 'nothing changed');

    // Still serving: health, and a real write from the device.
    const health = await api(server.url, undefined, '/healthz');
    assert.equal(health.status, 200);
    await device.store.append(threadId, { type: 'assistant:message', message: { content: 'still here' } });
    await settle([device]);
    assert.equal((await serverOps(server.url, alice, threadId)).at(-1)?.type, 'assistant:message');
    aliceOps = await device.store.history(threadId);
  });

  test('one bad thread in a push is rejected with a code; the good threads of the same push are stored', async () => {
    const good = await local.createThread({ title: 'good' });
    await local.append(good.id, { type: 'user:message', message: { content: 'fine' } });
    const goodOps = await local.history(good.id);
    const other = await local.createThread({ title: 'bad' });
    const [create] = await local.history(other.id);
    const badCreate = newThreadId();
    const headless = await local.createThread();
    const headlessOps = await local.append(headless.id, { type: 'user:message', message: { content: 'orphan' } }).then(() => local.history(headless.id));
    const threads = [
      { id: good.id, baseVersion: 0, ops: goodOps },
      // thread:create pushed again as a second op
      { id: other.id, baseVersion: 0, ops: [create, { ...create!, opId: `${create!.opId}x`, v: 2 }] },
      // a new thread without its thread:create
      { id: headless.id, baseVersion: 0, ops: [{ ...headlessOps[1]!, v: 1 }] },
      // an op of another thread
      { id: badCreate, baseVersion: 0, ops: [create] },
      // a message with a number for content
      { id: threadId, baseVersion: aliceOps.length, ops: [{ ...goodOps[1]!, threadId, v: aliceOps.length + 1, message: { content: 5 } }] },
    ];
    const r = await api(server.url, alice, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: 'x', threads }) });
    assert.equal(r.status, 200);
    const results = (r.body as { threads: { id: string; status: string; code?: string; message?: string }[] }).threads;
    assert.deepEqual(
      results.map((x) => [x.id, x.status, x.code]),
      [
        [good.id, 'ok', undefined],
        [other.id, 'rejected', 'VALIDATION'],
        [headless.id, 'rejected', 'NOT_FOUND'],
        [badCreate, 'rejected', 'VALIDATION'],
        [threadId, 'rejected', 'VALIDATION'],
      ],
    );
    for (const x of results.slice(1)) assert.ok(x.message && x.message.length > 0, 'a rejection says why');
    assert.deepEqual(await serverOps(server.url, alice, good.id), goodOps, 'the good thread is stored');
    const ids = await serverThreadIds(server.url, alice);
    for (const id of [other.id, headless.id, badCreate]) assert.ok(!ids.includes(id), `the bad thread ${id} is not`);
    assert.deepEqual(await serverOps(server.url, alice, threadId), aliceOps, "alice's thread is unchanged");
  });
});
