/**
 * The viewer mounted by `skein serve`, end to end: the front door (`skein serve --demo`, what
 * `npm start` runs, prints a one-click sign-in URL on its first line), sign-in by token, a wrong
 * token, another workspace's thread, hostile text, and live updates from another device through
 * sync, in Debian's Chromium. Each test saves a screenshot under test-results/.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStore, type ThreadID } from '../../src/index.js';
import { launchBrowser, shot, waitForFirst, type TestBrowser } from '../helpers/browser.js';
import { skein, skeinJson } from '../helpers/cli.js';
import { restartUrlProcess, startUrlProcess, type UrlProcess } from '../helpers/ui-process.js';
import { seedViewerStore, type ViewerSeed } from '../helpers/viewer-fixtures.js';

let root: string;
let data: string;
let server: UrlProcess;
let base: string;
let browser: TestBrowser;
/** A device syncing to the demo workspace, and one syncing to another workspace. */
let device: string;
let otherDevice: string;
let seed: ViewerSeed;
let otherThread: ThreadID;
let demoToken: string;
/** The ids of the threads `--demo` seeded, by title. */
let demo: Map<string, ThreadID>;

async function demoThreads(): Promise<Map<string, ThreadID>> {
  const res = await fetch(`${base}/v1/threads?limit=100`, { headers: { authorization: `Bearer ${demoToken}` } });
  const body = (await res.json()) as { threads: { id: ThreadID; title?: string }[] };
  return new Map(body.threads.map((t) => [t.title ?? '', t.id]));
}

function demoId(title: string): ThreadID {
  const id = demo.get(title);
  assert.ok(id, `the demo has a thread titled ${title}`);
  return id;
}

function startServer(port = 0): Promise<UrlProcess> {
  const args = ['serve', '--demo', '--data', data, '--port', String(port)];
  return port === 0 ? startUrlProcess(args) : restartUrlProcess(args);
}

/** A new tab signed in to the demo workspace through the one-click URL (each test stands alone). */
async function signedInPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForURL(`${base}/`);
  return page;
}

async function sync(dir: string, token: string): Promise<void> {
  const run = await skein(['sync', '--remote', base, '--token', token, '--dir', dir]);
  assert.equal(run.code, 0, run.stderr);
}

describe('skein serve: the viewer of a workspace', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'skein-viewer-serve-'));
    data = join(root, 'server');
    server = await startServer();
    base = new URL(server.url).origin;
    demoToken = new URL(server.url).searchParams.get('token')!;
    device = join(root, 'device');
    seed = await seedViewerStore(device, { workspace: join(root, 'work'), demo: false });
    demo = await demoThreads();
    await sync(device, demoToken);
    otherDevice = join(root, 'other-device');
    const other = await openStore({ dir: otherDevice });
    otherThread = (await other.createThread({ title: 'Secret plans of another workspace' })).id;
    await other.append(otherThread, { type: 'user:message', message: { content: 'not for the demo workspace' } });
    await other.close();
    const { token } = await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'other', '--data', data]);
    await sync(otherDevice, token);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('the first line of skein serve --demo is a sign-in URL; a wrong token sees nothing', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/signin\?token=skn_/);
    const page = await browser.newPage();
    const home = await page.goto(base + '/');
    assert.equal(home?.status(), 401);
    await page.locator('form[action="/signin"]').waitFor();
    const wrong = await page.goto(`${base}/signin?token=skn_not-a-real-token`);
    assert.equal(wrong?.status(), 401);
    assert.match((await page.locator('.error').textContent()) ?? '', /not valid/);
    // A forged cookie is no better.
    await browser.context.addCookies([{ name: 'skein_token', value: 'skn_forged', url: base }]);
    const thread = await page.goto(`${base}/t/${demoId('Fix flaky login test')}`);
    assert.equal(thread?.status(), 401);
    const text = (await page.locator('body').textContent()) ?? '';
    assert.ok(!text.includes('Fix flaky login test') && !text.includes('Markdown, thinking'), 'no thread shown');
    for (const path of [`/ui/t/${demoId('Fix flaky login test')}/messages`, '/ui/list', '/ui/events', `/ui/row/${demoId('Fix flaky login test')}`]) {
      const r = await page.request.get(base + path);
      assert.equal(r.status(), 401, path);
    }
    await shot(page, 'viewer-serve-wrong-token');
    await browser.context.clearCookies();
    await page.close();
  });

  test('the one-click URL signs in and lists the demo threads with their costs', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForURL(`${base}/`);
    const titles = await page.locator('.row-title').allTextContents();
    for (const t of ['Fix flaky login test', 'Reproduce the login flake', 'Find tests with the same wait pattern', 'Summary: Fix flaky login test', 'Markdown, thinking and images'])
      assert.ok(titles.includes(t), `${t} listed`);
    assert.ok(!titles.includes('Secret plans of another workspace'));
    assert.match((await page.locator('.where').textContent()) ?? '', /workspace demo/);
    await shot(page, 'viewer-serve-list');
    await page.close();
  });

  test('a thread: expand a tool call and see its result; follow a sub-agent link and back', async () => {
    const page = await signedInPage();
    await page.goto(`${base}/t/${demoId('Fix flaky login test')}`);
    const call = page.locator('details.tool-call[data-call="call_01"]');
    await call.locator('summary').click();
    const result = call.locator('.tool-result');
    await result.waitFor({ state: 'visible' });
    assert.match((await result.textContent()) ?? '', /logs in with valid credentials/);
    const tree = page.locator('.usage-block', { hasText: 'With sub-agents and summaries' });
    await tree.waitFor();
    assert.match((await tree.textContent()) ?? '', /\$0\.050 .* 4 threads/);
    await shot(page, 'viewer-serve-thread', true);
    await page.click(`.relations a[href="/t/${demoId('Find tests with the same wait pattern')}"]`);
    await page.waitForURL(new RegExp(demoId('Find tests with the same wait pattern')));
    assert.equal(await page.locator('h1').textContent(), 'Find tests with the same wait pattern');
    await page.goBack();
    await page.waitForURL(new RegExp(`${demoId('Fix flaky login test')}$`));
    assert.equal(await page.locator('h1').textContent(), 'Fix flaky login test');
    await page.close();
  });

  test('HTML and script from a synced message show as text', async () => {
    const page = await signedInPage();
    await page.goto(`${base}/t/${seed.hostile}`);
    await page.locator('article.msg').first().waitFor();
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(await page.locator('main script, main img[src="x"], main [onerror], main [onclick]').count(), 0);
    assert.ok(((await page.locator('main').textContent()) ?? '').includes('<script>window.__pwned = 1</script>'));
    await shot(page, 'viewer-serve-hostile');
    await page.close();
  });

  test('a thread of another workspace is 404', async () => {
    const page = await signedInPage();
    const res = await page.goto(`${base}/t/${otherThread}`);
    assert.equal(res?.status(), 404);
    assert.ok(!((await page.locator('body').textContent()) ?? '').includes('Secret plans'));
    assert.equal((await page.request.get(`${base}/ui/t/${otherThread}/messages`)).status(), 404);
    assert.equal((await page.request.get(`${base}/ui/row/${otherThread}`)).status(), 404);
    await shot(page, 'viewer-serve-other-workspace');
    await page.close();
  });

  test('a skein append on another device, synced, shows in the open page and the list within 2 s', async () => {
    const page = await signedInPage();
    await page.goto(`${base}/t/${seed.rich}`);
    await page.locator('#live.on').waitFor();
    const list = await signedInPage();
    await list.goto(base + '/');
    await list.locator('#live.on').waitFor();
    const run = await skein(['append', seed.rich, '--role', 'assistant', '--content', 'Synced `live` from a shell', '--dir', device]);
    assert.equal(run.code, 0, run.stderr);
    await sync(device, demoToken);
    const t0 = Date.now();
    await page.locator('article.msg code', { hasText: 'live' }).waitFor({ timeout: 2000 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2000, `shown after ${elapsed} ms`);
    await waitForFirst(list, '.row', 'data-id', seed.rich);
    await shot(page, 'viewer-serve-live');
    await list.close();
    await page.close();
  });

  test('a message merged in above the newest (a device that was offline syncs late) shows in its place', async () => {
    const late = join(root, 'late-device');
    assert.equal((await skein(['init', '--dir', late])).code, 0);
    await sync(late, demoToken); // a second device: pulls the workspace
    const page = await signedInPage();
    await page.goto(`${base}/t/${seed.rich}`);
    await page.locator('#live.on').waitFor();
    // The late device writes first but syncs last: its message sorts before the other one.
    assert.equal((await skein(['append', seed.rich, '--role', 'user', '--content', 'written offline first', '--dir', late])).code, 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await skein(['append', seed.rich, '--role', 'user', '--content', 'written online second', '--dir', device])).code, 0);
    await sync(device, demoToken);
    await page.locator('article.msg', { hasText: 'written online second' }).waitFor({ timeout: 2000 });
    await sync(late, demoToken);
    await page.locator('article.msg', { hasText: 'written offline first' }).waitFor({ timeout: 2000 });
    const texts = (await page.locator('article.msg .md').allTextContents()).map((t) => t.trim());
    assert.deepEqual(texts.slice(-2), ['written offline first', 'written online second']);
    // Shown again whole: the failed call still holds its result.
    assert.equal(await page.locator('details.tool-call.is-error[data-call="call_build"] .tool-result').count(), 1);
    await shot(page, 'viewer-serve-merged');
    await page.close();
  });

  test('after the server restarts, the page reconnects and shows new messages', async () => {
    const page = await signedInPage();
    await page.goto(`${base}/t/${seed.rich}`);
    await page.locator('#live.on').waitFor();
    await server.stop();
    await page.locator('#live:not(.on)').waitFor();
    server = await startServer(Number(new URL(base).port));
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    const run = await skein(['append', seed.rich, '--role', 'user', '--content', 'after the restart', '--dir', device]);
    assert.equal(run.code, 0, run.stderr);
    await sync(device, demoToken);
    await page.locator('article.msg', { hasText: 'after the restart' }).waitFor({ timeout: 2000 });
    await shot(page, 'viewer-serve-reconnect');
    await page.close();
  });
});
