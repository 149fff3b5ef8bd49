/**
 * The viewer mounted in the server app on PostgreSQL storage (in process, `app.request`): the
 * demo workspace signs in, lists, opens a thread, pages it and sums its usage through the
 * Postgres backend, and searches it; another workspace's thread is 404 and not found.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/server/app.js';
import { openPostgresServerStorage } from '../../src/server/postgres-storage.js';
import type { ServerStorage } from '../../src/server/server-storage.js';
import { seedDemoWorkspace } from '../../src/cli/demo-server.js';
import { applyPushedThread } from '../../src/server/push.js';
import { openStore } from '../../src/index.js';
import { createTestSchema, PG_SKIPPED, PG_URL, type TestSchema } from '../helpers/postgres.js';

describe('the viewer on PostgreSQL', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, () => {
  let schema: TestSchema;
  let storage: ServerStorage;
  let app: ReturnType<typeof createApp>;
  let cookie: string;
  let otherId: string;

  before(async () => {
    schema = await createTestSchema();
    storage = await openPostgresServerStorage({ connectionString: PG_URL, schema: schema.schema });
    const token = await seedDemoWorkspace(storage);
    const other = await openStore({ dir: ':memory:' });
    const t = await other.createThread({ title: 'elsewhere' });
    otherId = t.id;
    const pushed = await applyPushedThread(await storage.backend('other'), { id: t.id, baseVersion: 0, ops: await other.history(t.id) }, Date.now());
    assert.equal(pushed.status, 'ok');
    await other.close();
    app = createApp({ storage });
    const res = await app.app.request(`/signin?token=${token}`);
    assert.equal(res.status, 303);
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  after(async () => {
    app?.close();
    await storage?.close();
    await schema?.drop();
  });

  test('lists the demo threads, opens one with its messages and usage; another workspace is 404', async () => {
    const list = await (await app.app.request('/', { headers: { cookie } })).text();
    assert.match(list, /Fix flaky login test/);
    assert.doesNotMatch(list, /elsewhere/);
    const id = /<li class="row" data-id="([^"]+)"[^>]*><a class="row-link" href="\/t\/[^"]+">\s*<span class="row-title">Fix flaky login test/.exec(list)?.[1];
    assert.ok(id);
    const page = await app.app.request(`/t/${id}`, { headers: { cookie } });
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.match(body, /data-call="call_01"/);
    assert.match(body, /logs in with valid credentials/);
    const usage = await (await app.app.request(`/ui/t/${id}/usage`, { headers: { cookie } })).text();
    assert.match(usage, /With sub-agents and summaries/);
    assert.equal((await app.app.request(`/t/${otherId}`, { headers: { cookie } })).status, 404);
  });

  test('the search page answers from Postgres full-text search, for the signed-in workspace only', async () => {
    const res = await app.app.request('/search?q=login', { headers: { cookie } });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /<mark>login<\/mark>/i);
    assert.match(body, /<a class="result-link" href="\/t\/T-[^"#]+#m-[^"]+">/);
    const elsewhere = await (await app.app.request('/search?q=elsewhere', { headers: { cookie } })).text();
    assert.doesNotMatch(elsewhere, /result-link/, "another workspace's title is not found");
    assert.equal((await app.app.request('/search?q=%22login', { headers: { cookie } })).status, 400);
    assert.equal((await app.app.request('/search?q=login')).status, 401);
  });
});
