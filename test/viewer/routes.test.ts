/**
 * The viewer's routes in process (Hono's `app.request`) over a real SQLite store: list filters and
 * endless-scroll cursors, thread windows and past versions, 404s, sign-in, and the local change
 * feed seeing a write made through another connection to the same database file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { viewerRoutes, type ThreadChange } from '../../src/viewer/routes.js';
import { LocalFeed } from '../../src/viewer/local-feed.js';

let dir: string;
let store: Store;
const ids: ThreadID[] = [];
let sub: ThreadID;
let big: ThreadID;

function local() {
  return viewerRoutes({ storeOf: async () => store, subscribe: () => () => undefined }).routes;
}

const HOST = { host: '127.0.0.1:7421' };

function rowIds(body: string): string[] {
  return [...body.matchAll(/<li class="row" data-id="([^"]+)"/g)].map((m) => m[1]!);
}

describe('viewer routes', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-viewer-routes-'));
    store = await openStore({ dir: join(dir, 'store'), durability: 'normal' });
    for (let i = 0; i < 60; i++) {
      const t = await store.createThread({
        title: `thread ${i}`,
        env: { cwd: i % 2 ? '/work/alpha' : '/work/beta' },
        ...(i % 3 === 0 && { meta: { source: { agent: 'codex' } } }),
      });
      await store.append(t.id, { type: 'assistant:message', message: { content: `hello ${i}`, resourceUsage: { model: i % 5 === 0 ? 'big-model' : 'small-model', costUSD: 0.01 } } });
      ids.push(t.id);
    }
    sub = (await store.spawnSubAgentThread(ids[0]!, 'a task')).id;
    big = (await store.createThread({ title: 'long' })).id;
    await store.append(
      big,
      Array.from({ length: 120 }, (_, i) => ({ type: 'user:message' as const, message: { content: `line ${i}` } })),
    );
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the list pages newest first through cursors, every thread once', async () => {
    const app = local();
    const first = await (await app.request('/', { headers: HOST })).text();
    const seen = rowIds(first);
    assert.equal(seen.length, 50);
    assert.equal(seen[0], big, 'the latest activity comes first');
    let next = /data-next="([^"]+)"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    while (next) {
      const page = await (await app.request(next, { headers: HOST })).text();
      seen.push(...rowIds(page));
      next = /data-next="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
    }
    assert.equal(seen.length, 62);
    assert.equal(new Set(seen).size, 62);
  });

  test('filters: kind, agent, model, directory; a row outside the filter answers 204', async () => {
    const app = local();
    const get = async (q: string) => rowIds(await (await app.request(`/?${q}`, { headers: HOST })).text());
    assert.deepEqual(await get('kind=subagent'), [sub]);
    const codex = await get('agent=codex');
    assert.equal(codex.length, 20);
    assert.ok(codex.every((id) => ids.indexOf(id as ThreadID) % 3 === 0));
    const bigModel = await get('model=big-model');
    assert.equal(bigModel.length, 12);
    const alpha = await get('cwd=alpha&kind=main');
    assert.equal(alpha.length, 30);
    assert.equal((await get('archived=archived')).length, 0);
    const row = await app.request(`/ui/row/${ids[1]}?agent=codex`, { headers: HOST });
    assert.equal(row.status, 204);
    const kept = await app.request(`/ui/row/${ids[0]}?agent=codex`, { headers: HOST });
    assert.equal(kept.status, 200);
  });

  test('a thread page shows its newest 50; older pages by cursor; a past version; 404s', async () => {
    const app = local();
    const pageRes = await app.request(`/t/${big}`, { headers: HOST });
    assert.equal(pageRes.status, 200);
    assert.match(pageRes.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const page = await pageRes.text();
    const msgIds = [...page.matchAll(/<article class="msg[^"]*" id="m-([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(msgIds.length, 50);
    assert.match(page, /line 119/);
    assert.doesNotMatch(page, /line 69</);
    const older = await (await app.request(`/ui/t/${big}/messages?before=${msgIds[0]}`, { headers: HOST })).text();
    assert.match(older, /line 20</);
    assert.match(older, /data-older=/, 'more pages above');
    assert.doesNotMatch(older, /data-newer=/, 'a page loaded above needs no sentinel below');
    const past = await (await app.request(`/t/${big}?v=11`, { headers: HOST })).text();
    assert.match(past, /as it was at version 11 \(10 messages\)/);
    assert.equal((await app.request(`/t/${big}?v=0`, { headers: HOST })).status, 400);
    assert.equal((await app.request('/t/T-00000000-0000-7000-8000-000000000000', { headers: HOST })).status, 404);
    assert.equal((await app.request('/t/not-an-id', { headers: HOST })).status, 404);
    assert.equal((await app.request(`/ui/t/${big}/messages?before=nope`, { headers: HOST })).status, 404);
    assert.equal((await app.request('/', { headers: { host: 'evil.example' } })).status, 403);
  });

  test('an archived thread still opens, read whole from its archive, marked archived', async () => {
    const t = await store.createThread({ title: 'old work' });
    await store.append(t.id, { type: 'user:message', message: { content: 'from long ago' } });
    // Inactive means a last write strictly before now: let the clock move past it.
    await new Promise((r) => setTimeout(r, 5));
    const r = await store.archiveInactiveThreads({ olderThanMs: 0 });
    assert.ok(r.archived.includes(t.id));
    const res = await local().request(`/t/${t.id}`, { headers: HOST });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /from long ago/);
    assert.match(page, /class="badge archived"/);
    const archivedOnly = rowIds(await (await local().request('/?archived=archived', { headers: HOST })).text());
    assert.ok(archivedOnly.includes(t.id));
    await store.restoreThread(t.id);
    for (const id of r.archived) if (id !== t.id) await store.restoreThread(id);
  });

  test('the map fragment and the linked-threads page: every neighbour, only what the reader may see', async () => {
    const app = local();
    const map = await (await app.request(`/ui/t/${ids[0]}/map`, { headers: HOST })).text();
    assert.match(map, /^<section class="map"/);
    assert.ok(map.includes(`data-id="${sub}"`));
    assert.equal(await (await app.request(`/ui/t/${ids[1]}/map`, { headers: HOST })).text(), '', 'no neighbour: no map');
    const links = await (await app.request(`/t/${ids[0]}/links`, { headers: HOST })).text();
    assert.ok(links.includes(`<li data-id="${sub}">`));
    assert.equal((await app.request(`/ui/t/T-nope/map`, { headers: HOST })).status, 404);
    // Under sign-in, a thread the reader may not see: 404 for the fragment and the page, and it is
    // left out of the lists of a thread the reader sees.
    const hidden = viewerRoutes({
      storeOf: async () => store,
      subscribe: () => () => undefined,
      workspaceOf: async () => 'team',
      visibleTo: async (_t, list) => new Set(list.filter((x) => x !== sub)),
    }).routes;
    const cookie = { cookie: 'skein_token=skn_any' };
    assert.equal((await hidden.request(`/ui/t/${sub}/map`, { headers: cookie })).status, 404);
    assert.equal((await hidden.request(`/t/${sub}/links`, { headers: cookie })).status, 404);
    const seen = await (await hidden.request(`/t/${ids[0]}/links`, { headers: cookie })).text();
    assert.ok(!seen.includes(sub));
    assert.equal(await (await hidden.request(`/ui/t/${ids[0]}/map`, { headers: cookie })).text(), '');
  });

  test('a past version pages older messages from its fold; later writes do not show in it', async () => {
    const app = local();
    const t = await store.createThread({ title: 'past' });
    await store.append(t.id, Array.from({ length: 80 }, (_, i) => ({ type: 'user:message' as const, message: { content: `past ${i}.` } })));
    const at = 61; // 60 messages: "past 0." to "past 59."
    const shown = (body: string) => [...body.matchAll(/past (\d+)\./g)].map((m) => Number(m[1]));
    const ids = (body: string) => [...body.matchAll(/<article class="msg[^"]*" id="m-([^"]+)"/g)].map((m) => m[1]!);
    for (let round = 0; round < 2; round++) {
      const page = await (await app.request(`/t/${t.id}?v=${at}`, { headers: HOST })).text();
      assert.deepEqual(shown(page.slice(page.indexOf('id="messages"'))), Array.from({ length: 50 }, (_, i) => 10 + i));
      const older = await (await app.request(`/ui/t/${t.id}/messages?v=${at}&before=${ids(page)[0]}`, { headers: HOST })).text();
      assert.deepEqual(shown(older), Array.from({ length: 10 }, (_, i) => i));
      assert.doesNotMatch(older, /data-older=/);
      // A write after the version (the thread moves on) leaves the past as it was.
      await store.append(t.id, { type: 'user:message', message: { content: 'past 999.' } });
    }
  });

  test('the cost and models of a row follow a new message (the usage remembered per version moves with it)', async () => {
    const app = local();
    const t = await store.createThread({ title: 'costed' });
    await store.append(t.id, { type: 'assistant:message', message: { content: 'a', resourceUsage: { model: 'm-one', costUSD: 0.25 } } });
    const row = async () => (await (await app.request(`/ui/row/${t.id}`, { headers: HOST })).text()).replace(/\s+/g, ' ');
    assert.match(await row(), /<span class="cost">\$0\.250<\/span><span class="muted">m-one<\/span>/);
    assert.match(await row(), /\$0\.250/, 'the same again, from what was remembered');
    await store.append(t.id, { type: 'assistant:message', message: { content: 'b', resourceUsage: { model: 'm-two', costUSD: 1 } } });
    assert.match(await row(), /<span class="cost">\$1\.25<\/span><span class="muted">m-one, m-two<\/span>/);
    assert.equal((await app.request(`/ui/row/${t.id}?model=m-two`, { headers: HOST })).status, 200);
    const usage = await (await app.request(`/ui/t/${t.id}/usage`, { headers: HOST })).text();
    assert.match(usage, /\$1\.25/);
  });

  test('sign-in: a known token sets an HttpOnly cookie; without one, pages ask for it', async () => {
    const app = viewerRoutes({
      storeOf: async (ws) => {
        assert.equal(ws, 'team');
        return store;
      },
      subscribe: () => () => undefined,
      workspaceOf: async (t) => (t === 'skn_good' ? 'team' : undefined),
    }).routes;
    const anon = await app.request('/');
    assert.equal(anon.status, 401);
    assert.doesNotMatch(await anon.text(), /thread 1/);
    assert.equal((await app.request('/signin?token=skn_bad')).status, 401);
    const ok = await app.request('/signin?token=skn_good');
    assert.equal(ok.status, 303);
    const cookie = ok.headers.get('set-cookie') ?? '';
    assert.match(cookie, /skein_token=skn_good/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const list = await app.request('/', { headers: { cookie: 'skein_token=skn_good' } });
    assert.equal(list.status, 200);
    assert.match(await list.text(), /thread 59/);
  });

  test('the local feed reports a write made through another connection to the same file', async () => {
    // Polled by hand here (the timer is an hour), so each look is one the test chose.
    const feed = new LocalFeed(store, 3_600_000);
    const changes: ThreadChange[] = [];
    const unsubscribe = feed.subscribe((c) => changes.push(c));
    await feed.poll();
    const other = await openStore({ dir: join(dir, 'store'), durability: 'normal' });
    try {
      const t = await other.append(ids[7]!, { type: 'user:message', message: { content: 'from elsewhere' } });
      await feed.poll();
      assert.deepEqual(changes, [{ id: ids[7], v: t.v }]);
      // A burst wider than one poll's page (a bulk import) is reported whole.
      const burst = new Map<string, number>();
      for (const id of ids) burst.set(id, (await other.append(id, { type: 'user:message', message: { content: 'bulk' } })).v);
      await feed.poll();
      for (const [id, v] of burst) assert.ok(changes.some((c) => c.id === id && c.v === v), `${id} at v${v} reported`);
    } finally {
      unsubscribe();
      feed.close();
      await other.close();
    }
  });
});
