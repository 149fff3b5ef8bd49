/**
 * The viewer's search page in process (Hono's `app.request`) over a real SQLite store: results
 * with marked words linking to their message (or thread, for a title), hostile text kept text,
 * bad query syntax said on the page with a 400, filters, paging over the cursor to the end,
 * archived threads marked, the header's search box on every page, and sign-in on the server.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { viewerRoutes } from '../../src/viewer/routes.js';
import { highlightSnippet } from '../../src/viewer/search-view.js';

const HOST = { host: '127.0.0.1:7421' };
// Between two matched words, so that it sits inside the marked part of the snippet.
const HOSTILE = 'zebrafish <script>window.__pwned=1</script> <img src=x onerror="alert(1)"> & "quoted" zebrafish';

let dir: string;
let store: Store;
let hostile: ThreadID;
let titled: ThreadID;
let old: ThreadID;
const many: ThreadID[] = [];

function local() {
  return viewerRoutes({ storeOf: async () => store, subscribe: () => () => undefined }).routes;
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await local().request(path, { headers: HOST });
  return { status: res.status, body: await res.text() };
}

function hrefs(body: string): string[] {
  return [...body.matchAll(/<a class="result-link" href="([^"]+)"/g)].map((m) => m[1]!);
}

function nextOf(body: string): string | undefined {
  return /data-next="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&');
}

describe('viewer search', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-viewer-search-'));
    store = await openStore({ dir: join(dir, 'store'), durability: 'normal' });
    hostile = (await store.createThread({ title: 'hostile' })).id;
    await store.append(hostile, { type: 'user:message', message: { content: HOSTILE } });
    titled = (await store.createThread({ title: 'Quokka migration plan', env: { cwd: '/srv/zoo' } })).id;
    await store.append(titled, { type: 'assistant:message', message: { content: 'nothing to see', resourceUsage: { model: 'model-a', costUSD: 0 } } });
    for (let i = 0; i < 45; i++) {
      const t = await store.createThread({ title: `pangolin ${i}`, env: { cwd: i % 3 === 0 ? '/srv/alpha' : '/srv/beta' } });
      await store.append(t.id, { type: 'user:message', message: { content: `the pangolin count is ${i}` } });
      many.push(t.id);
    }
    old = (await store.createThread({ title: 'old work' })).id;
    await store.append(old, { type: 'user:message', message: { content: 'the axolotl regrows its limbs' } });
    await new Promise((r) => setTimeout(r, 5));
    const archived = await store.archiveInactiveThreads({ olderThanMs: 0 });
    assert.ok(archived.archived.includes(old));
    for (const id of archived.archived) if (id !== old) await store.restoreThread(id);
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a result links to its message, with the matched words marked', async () => {
    const { status, body } = await get('/search?q=pangolin+count');
    assert.equal(status, 200);
    const links = hrefs(body);
    assert.equal(links.length, 20, 'a page of 20');
    const [first] = links;
    const m = /^\/t\/(T-[^#]+)#m-(.+)$/.exec(first!);
    assert.ok(m, `${first} names a thread and a message`);
    const page = await store.loadPage(m[1] as ThreadID, { limit: 10 });
    assert.equal(page.messages[0]!.id, m[2], 'the link names the message that matched');
    assert.match(body, /<mark>pangolin<\/mark> <mark>count<\/mark> is \d+/);
    assert.match(body, /<input type="search" name="q" id="search-q"[^>]* value="pangolin count">/, 'the box keeps the query');
  });

  test('hostile text in a snippet stays text', async () => {
    const { status, body } = await get('/search?q=zebrafish');
    assert.equal(status, 200);
    assert.equal(hrefs(body).length, 1);
    assert.doesNotMatch(body, /<script>window/);
    assert.doesNotMatch(body, /<img src=x/);
    assert.match(body, /<mark>zebrafish<\/mark> &lt;script&gt;window\.__pwned=1&lt;\/script&gt; &lt;img src=x onerror=&quot;alert\(1\)&quot;&gt; &amp; &quot;quoted&quot; <mark>zebrafish<\/mark>/);
    // The query itself is shown back escaped too.
    const q = await get(`/search?q=${encodeURIComponent('"<b>zebrafish</b>"')}`);
    assert.doesNotMatch(q.body, /<b>zebrafish<\/b>/);
    assert.match(q.body, /&lt;b&gt;zebrafish&lt;\/b&gt;/);
  });

  test('highlights out of range or overlapping are skipped, the text still whole', () => {
    assert.equal(highlightSnippet('a <b> c', [[0, 1], [0, 3], [6, 7], [6, 99]]).value, '<mark>a</mark> &lt;b&gt; <mark>c</mark>');
    assert.equal(highlightSnippet('x&y', []).value, 'x&amp;y');
  });

  test('a matching title links to the thread and says so', async () => {
    const { body } = await get('/search?q=quokka');
    const links = hrefs(body);
    assert.deepEqual(links, [`/t/${titled}`]);
    assert.match(body, /<span class="badge">title<\/span>/);
    assert.match(body, /<mark>Quokka<\/mark> migration plan/);
  });

  test('an archived thread is found and marked', async () => {
    const { body } = await get('/search?q=axolotl');
    assert.equal(hrefs(body).length, 1);
    assert.match(hrefs(body)[0]!, new RegExp(`^/t/${old}#m-`));
    assert.match(body, /<span class="badge archived">archived<\/span>/);
    // The link opens: the thread is read whole from its archive, the message on the page.
    const [path, msg] = hrefs(body)[0]!.split('#');
    const opened = await get(path!);
    assert.equal(opened.status, 200);
    assert.match(opened.body, new RegExp(`id="${msg}"`));
    const around = await get(`/ui/t/${old}/messages?around=${msg!.slice(2)}`);
    assert.equal(around.status, 200);
    assert.match(around.body, /axolotl regrows/);
    const other = await get('/search?q=zebrafish');
    assert.doesNotMatch(other.body, /badge archived/);
  });

  test('bad query syntax is said on the page with a 400, never a 500', async () => {
    for (const [q, words] of [
      ['"unclosed', /quote is not closed/],
      ['a OR', /OR needs a word/],
      ['-only', /not excluded/],
    ] as const) {
      const { status, body } = await get(`/search?q=${encodeURIComponent(q)}`);
      assert.equal(status, 400, q);
      assert.match(body, /<p class="error" role="alert">query: /);
      assert.match(body, words);
      assert.match(body, /id="search-q"/, 'the box is still there to fix the query');
    }
    assert.equal((await get('/search?q=pangolin&kind=bogus')).status, 400);
    assert.equal((await get('/search?q=pangolin&since=yesterday')).status, 400);
    assert.equal((await get('/search?q=pangolin&cursor=nope')).status, 400);
    assert.equal((await get('/ui/search?q=%22open')).status, 400);
    const empty = await get('/search?q=');
    assert.equal(empty.status, 200);
    assert.equal(hrefs(empty.body).length, 0);
  });

  test('pages follow the cursor to the end, every result once', async () => {
    const first = await get('/search?q=pangolin+count');
    const seen = hrefs(first.body);
    let next = nextOf(first.body);
    assert.ok(next?.startsWith('/ui/search?q=pangolin+count&cursor='));
    assert.match(first.body, /<a href="\/search\?q=pangolin\+count&amp;cursor=[^"]+">more results<\/a>/, 'a plain link without the script');
    let pages = 1;
    while (next) {
      const page = await get(next);
      assert.equal(page.status, 200);
      seen.push(...hrefs(page.body));
      next = nextOf(page.body);
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 45);
    assert.equal(new Set(seen).size, 45);
    assert.deepEqual(new Set(seen.map((h) => h.slice(3, h.indexOf('#')))), new Set(many));
  });

  test('filters: directory, kind, model and since narrow the results and stay in the paging links', async () => {
    const alpha = await get('/search?q=pangolin+count&cwd=%2Fsrv%2Falpha');
    assert.equal(hrefs(alpha.body).length, 15);
    assert.equal(nextOf(alpha.body), undefined);
    assert.match(alpha.body, /<input name="cwd" placeholder="[^"]*" value="\/srv\/alpha">/);
    const beta = await get('/search?q=pangolin&cwd=%2Fsrv%2Fbeta');
    assert.match(nextOf(beta.body) ?? '', /cwd=%2Fsrv%2Fbeta/);
    assert.equal((hrefs((await get('/search?q=pangolin&kind=subagent')).body)).length, 0);
    assert.equal(hrefs((await get('/search?q=nothing&model=model-a')).body).length, 1);
    assert.equal(hrefs((await get('/search?q=nothing&model=model-b')).body).length, 0);
    assert.equal(hrefs((await get('/search?q=zebrafish&since=2999-01-01')).body).length, 0);
    assert.equal(hrefs((await get('/search?q=zebrafish&since=2000-01-01')).body).length, 1);
  });

  test('every page has the search box; the sign-in page does not', async () => {
    for (const path of ['/', `/t/${hostile}`, '/search']) assert.match((await get(path)).body, /<form class="search" method="get" action="\/search" role="search">/, path);
    const server = viewerRoutes({ storeOf: async () => store, subscribe: () => () => undefined, workspaceOf: async (t) => (t === 'skn_good' ? 'team' : undefined) }).routes;
    const anon = await server.request('/search?q=zebrafish');
    assert.equal(anon.status, 401);
    const anonBody = await anon.text();
    assert.doesNotMatch(anonBody, /zebrafish<|result-link/);
    assert.doesNotMatch(anonBody, /id="search-q"/);
    assert.equal((await server.request('/ui/search?q=zebrafish')).status, 401);
    assert.equal((await server.request('/search?q=zebrafish', { headers: { cookie: 'skein_token=skn_bad' } })).status, 401);
    const signed = await server.request('/search?q=zebrafish', { headers: { cookie: 'skein_token=skn_good' } });
    assert.equal(signed.status, 200);
    assert.match(await signed.text(), /<mark>zebrafish<\/mark>/);
    assert.equal((await local().request('/search?q=zebrafish', { headers: { host: 'evil.example' } })).status, 403);
  });
});
