/**
 * The server's search route against a real `skein serve` child process, on whatever storage the
 * caller picks (embedded SQLite, PostgreSQL): two workspaces push threads through the sync
 * protocol; each token finds its own workspace's messages only; bad queries are 400 VALIDATION.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ThreadID } from '../../src/index.js';
import { openDevice, type Device } from './sync-devices.js';
import { api, startServerProcess, type ServerProcess, type ServerStorageChoice } from './sync-server.js';

type Page = { results: { threadId: string; messageId: string | null; title: string | null; snippet: string; score: number; archived: boolean }[]; nextCursor?: string };

/** Registers the route's tests; `storage` makes the server's storage, `cleanup` removes it. */
export function serverSearchTests(storage: () => Promise<ServerStorageChoice>, cleanup: () => Promise<void> = async () => {}): void {
  let server: ServerProcess;
  let alice: string;
  let bob: string;
  let devices: Device[] = [];
  let aliceThread: ThreadID;

  before(async () => {
    server = await startServerProcess(await storage());
    alice = await server.token('alice');
    bob = await server.token('bob');
    const a = await openDevice('alice', server.url, alice, { memory: true });
    const b = await openDevice('bob', server.url, bob, { memory: true });
    devices = [a, b];
    const t = await a.store.createThread({ title: 'Kubernetes ingress timeouts' });
    aliceThread = t.id;
    await a.store.append(t.id, [
      { type: 'user:message', message: { content: 'Requests through the ingress time out after 60 seconds' } },
      { type: 'assistant:message', message: { content: 'Checking the annotation.', toolCalls: [{ id: 'c1', name: 'read_file', input: { path: 'k8s/ingress.yaml' } }] } },
      ...Array.from({ length: 12 }, (_, i) => ({ type: 'assistant:message' as const, message: { content: `ingress probe ${i}` } })),
    ]);
    const u = await b.store.createThread({ title: 'bob private notes' });
    await b.store.append(u.id, { type: 'user:message', message: { content: 'ingress secret of bob' } });
    for (const d of devices) await d.store.sync.now();
  });
  after(async () => {
    for (const d of devices) await d.close();
    await server?.stop();
    await cleanup();
  });

  test('GET /v1/search finds the token workspace\'s messages, tool inputs and titles, with snippets', async () => {
    const r = await api(server.url, alice, `/v1/search?q=${encodeURIComponent('ingress')}&limit=5`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const page = r.body as Page;
    assert.equal(page.results.length, 5);
    assert.ok(page.nextCursor);
    assert.ok(page.results.every((x) => x.threadId === aliceThread), 'never another workspace\'s thread');
    assert.match(page.results[0]!.snippet, /ingress/i);
    const next = (await api(server.url, alice, `/v1/search?q=ingress&limit=100&cursor=${page.nextCursor}`)).body as Page;
    assert.equal(next.results.length, 10, 'title + 2 messages + 12 probes = 15, minus the first page of 5');
    const path = (await api(server.url, alice, `/v1/search?q=${encodeURIComponent('k8s/ingress.yaml')}`)).body as Page;
    assert.equal(path.results.length, 1);
    const bobs = (await api(server.url, bob, '/v1/search?q=ingress')).body as Page;
    assert.deepEqual(bobs.results.map((x) => x.title), ['bob private notes']);
    assert.deepEqual(((await api(server.url, alice, '/v1/search?q=secret')).body as Page).results, []);
  });

  test('bad queries and options are 400 VALIDATION, no token is 401', async () => {
    for (const path of ['/v1/search', '/v1/search?q=', `/v1/search?q=${encodeURIComponent('"open')}`, '/v1/search?q=a&limit=1000', '/v1/search?q=a&cursor=zz', '/v1/search?q=a&kind=x', '/v1/search?q=-a']) {
      const r = await api(server.url, alice, path);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal((r.body as { error: { code: string } }).error.code, 'VALIDATION', path);
    }
    assert.equal((await api(server.url, undefined, '/v1/search?q=ingress')).status, 401);
    assert.equal((await api(server.url, alice, '/v1/search?q=ingress')).status, 200, 'still serving');
  });
}
