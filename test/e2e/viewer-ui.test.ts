/**
 * The viewer over a local store, end to end: a real `skein ui` child process on a real store
 * directory, read by Debian's Chromium. Each test saves a screenshot under test-results/.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, shot, waitForCount, waitForFirst, waitForHashAnd, type TestBrowser } from '../helpers/browser.js';
import { skein } from '../helpers/cli.js';
import { startUiProcess, type UrlProcess } from '../helpers/ui-process.js';
import { openStore } from '../../src/index.js';
import { HOSTILE, seedViewerStore, type ViewerSeed } from '../helpers/viewer-fixtures.js';

const BIG = 100_000;

let root: string;
let dir: string;
let seed: ViewerSeed;
let ui: UrlProcess;
let browser: TestBrowser;

/** The GET status of a path on the viewer with a given Host header (a browser cannot send another). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ hostname: u.hostname, port: u.port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function messageCount(page: Page): Promise<number> {
  return page.locator('article.msg').count();
}

describe('skein ui: the viewer over a local store', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'skein-viewer-ui-'));
    dir = join(root, 'store');
    seed = await seedViewerStore(dir, { workspace: join(root, 'work'), bigMessages: BIG });
    ui = await startUiProcess(dir);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('prints a 127.0.0.1 URL on its first line; another Host name is refused', async () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(await statusWithHost(ui.url, `127.0.0.1:${ui.port}`), 200);
    assert.equal(await statusWithHost(ui.url, `evil.example:${ui.port}`), 403);
    const missing = await skein(['ui', '--dir', join(root, 'no-store'), '--port', '0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^skein: no skein store in .*\n$/);
    const page = await browser.newPage();
    await page.goto(ui.url);
    await shot(page, 'viewer-ui-first-url');
    await page.close();
  });

  test('the list shows every thread, newest activity first, with message counts and costs', async () => {
    const page = await browser.newPage();
    await page.goto(ui.url);
    const titles = await page.locator('.row-title').allTextContents();
    await shot(page, 'viewer-ui-list');
    // The big thread was written last, so it is the most recently active.
    assert.equal(titles[0], `A thread of ${BIG} messages`);
    for (const t of ['Fix flaky login test', 'Reproduce the login flake', 'Markdown, thinking and images', 'Edits files']) assert.ok(titles.includes(t), `${t} listed`);
    const rich = page.locator(`.row[data-id="${seed.rich}"]`);
    assert.match(await rich.textContent() ?? '', /4 msgs/);
    assert.match(await rich.textContent() ?? '', /\$0\.013/);
    assert.match(await rich.textContent() ?? '', /claude-code/);
    // Filters: sub-agents only.
    await page.selectOption('select[name=kind]', 'subagent');
    await page.click('.filters button');
    await page.waitForURL(/kind=subagent/);
    const sub = await page.locator('.row-title').allTextContents();
    assert.deepEqual(sub.sort(), ['Find tests with the same wait pattern', 'Reproduce the login flake']);
    await page.close();
  });

  test('the list loads more threads as it scrolls, at phone width; j/k move between rows', async () => {
    const manyDir = join(root, 'many');
    const store = await openStore({ dir: manyDir, durability: 'normal' });
    for (let i = 0; i < 120; i++) {
      const t = await store.createThread({ title: `thread ${i}` });
      await store.append(t.id, { type: 'user:message', message: { content: 'hi' } });
    }
    await store.close();
    const many = await startUiProcess(manyDir);
    try {
      const page = await browser.newPage({ width: 390, height: 800 });
      await page.goto(many.url);
      assert.equal(await page.locator('.row').count(), 50);
      for (const n of [100, 120]) {
        await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
        await waitForCount(page, '.row', n);
      }
      const titles = await page.locator('.row-title').allTextContents();
      assert.deepEqual(titles, Array.from({ length: 120 }, (_, i) => `thread ${119 - i}`));
      await page.evaluate('window.scrollTo(0, 0)');
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      assert.equal(await page.locator('.row.focus .row-title').textContent(), 'thread 118');
      await shot(page, 'viewer-ui-list-phone');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/t\/T-/);
      assert.equal(await page.locator('h1').textContent(), 'thread 118');
      await page.close();
    } finally {
      await many.stop();
    }
  });

  test('a thread page renders markdown, highlights code, shows thinking collapsed, images, and tool calls with their results', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.rich}`);
    await page.locator('.md strong', { hasText: 'bold' }).waitFor();
    assert.ok((await page.locator('pre code .hljs-keyword').count()) > 0, 'code is highlighted');
    const thinking = page.locator('details.thinking');
    assert.equal(await thinking.getAttribute('open'), null, 'thinking starts collapsed');
    const img = page.locator('.images img');
    assert.equal(await img.count(), 1);
    assert.equal(await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), 16, 'the image decodes');
    const call = page.locator('details.tool-call[data-call="call_build"]');
    assert.ok(await call.evaluate((el) => el.classList.contains('is-error')), 'the failed call is marked');
    assert.equal(await call.locator('.tool-result').isVisible(), false, 'the result is inside the collapsed call');
    await call.locator('summary').click();
    await thinking.locator('summary').click();
    const result = call.locator('.tool-result.is-error');
    await result.waitFor({ state: 'visible' });
    assert.match((await result.textContent()) ?? '', /error TS2322/);
    // The message that only carried the result is folded into the call.
    assert.equal(await page.locator('article.msg.only-results').isVisible(), false);
    const usage = page.locator('.usage-block', { hasText: 'This thread' });
    await usage.waitFor();
    assert.match((await usage.textContent()) ?? '', /\$0\.013/);
    await shot(page, 'viewer-ui-thread-tools', true);
    await page.close();
  });

  test('a sub-agent link leads to the sub-agent, and its parent link leads back', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.demo!.main}`);
    await page.click(`.relations a[href="/t/${seed.demo!.subAgents[0]}"]`);
    await page.waitForURL(new RegExp(seed.demo!.subAgents[0]!));
    assert.equal(await page.locator('h1').textContent(), 'Reproduce the login flake');
    await shot(page, 'viewer-ui-subagent');
    await page.click(`.relations a[href="/t/${seed.demo!.main}"]`);
    await page.waitForURL(new RegExp(seed.demo!.main));
    assert.equal(await page.locator('h1').textContent(), 'Fix flaky login test');
    await page.close();
  });

  test('HTML and script in a message, a title or a tool call show as text and never run', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.hostile}`);
    await page.locator('article.msg').first().waitFor();
    await page.locator('details.tool-call summary').click();
    await page.waitForTimeout(300);
    await shot(page, 'viewer-ui-hostile', true);
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script ran');
    assert.equal(await page.locator('main script, main img[src="x"], main [onerror], main [onclick]').count(), 0, 'no element came from message text');
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
    const text = (await page.locator('main').textContent()) ?? '';
    for (const line of ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', '<script>window.__pwned = 5</script>', '<script>window.__pwned=7</script>'])
      assert.ok(text.includes(line), `${line} shown as text`);
    assert.ok(HOSTILE.includes('onerror'));
    await page.close();
  });

  test(`a ${BIG.toLocaleString('en')}-message thread opens on its newest page and loads older pages on scroll`, async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.big!.id}`);
    await page.locator('article.msg').last().waitFor();
    assert.equal(await messageCount(page), 50);
    assert.equal(await page.locator('article.msg .md').last().textContent(), `message ${BIG - 1}\n`);
    for (const pages of [2, 3]) {
      await page.evaluate('window.scrollTo(0, 0)');
      await waitForCount(page, 'article.msg', pages * 50);
      assert.equal(await messageCount(page), pages * 50);
    }
    assert.equal(await page.locator('article.msg .md').first().textContent(), `message ${BIG - 150}\n`);
    // Newest at the bottom, in order, nothing doubled.
    const texts = await page.locator('article.msg .md').allTextContents();
    assert.deepEqual(texts, Array.from({ length: 150 }, (_, i) => `message ${BIG - 150 + i}\n`));
    await shot(page, 'viewer-ui-big-thread');
    await page.close();
  });

  test('a skein append from a shell shows in the open thread and in the list within 2 s', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.demo!.main}`);
    await page.locator('#live.on').waitFor();
    const list = await browser.newPage();
    await list.goto(ui.url);
    await list.locator('#live.on').waitFor();
    const countBefore = Number(await page.locator('#thread-count').textContent());
    const run = await skein(['append', seed.demo!.main, '--role', 'assistant', '--content', 'Appended **live** from a shell', '--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    const t0 = Date.now();
    await page.locator('article.msg strong', { hasText: 'live' }).waitFor({ timeout: 2000 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2000, `shown after ${elapsed} ms`);
    assert.equal(Number(await page.locator('#thread-count').textContent()), countBefore + 1);
    // The list moves the thread to the top.
    await waitForFirst(list, '.row', 'data-id', seed.demo!.main);
    await shot(page, 'viewer-ui-live');
    await shot(list, 'viewer-ui-live-list');
    await page.close();
    await list.close();
  });

  test('a dropped event stream reconnects: after the viewer restarts, appends show again', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.rich}`);
    await page.locator('#live.on').waitFor();
    await ui.stop();
    await page.locator('#live:not(.on)').waitFor();
    ui = await startUiProcess(dir, ui.port);
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    const run = await skein(['append', seed.rich, '--role', 'user', '--content', 'after the reconnect', '--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    await page.locator('article.msg', { hasText: 'after the reconnect' }).waitFor({ timeout: 2000 });
    await shot(page, 'viewer-ui-reconnect');
    await page.close();
  });

  test('file changes show their diffs and rollback state; the version slider shows a past version', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${seed.files}`);
    const changes = page.locator('details.file-change');
    assert.equal(await changes.count(), 2);
    await changes.nth(0).locator('summary').click();
    await changes.nth(1).locator('summary').click();
    assert.match((await changes.nth(0).textContent()) ?? '', /src\/login\.ts[\s\S]*applied/);
    assert.match((await changes.nth(0).locator('.diff .add').allTextContents()).join('\n'), /await sessions\.create/);
    assert.match((await changes.nth(0).locator('.diff .del').allTextContents()).join('\n'), /^- {2}sessions\.create/m);
    assert.match((await changes.nth(1).textContent()) ?? '', /NOTE\.md[\s\S]*rolled back/);
    await shot(page, 'viewer-ui-files', true);
    // Time travel: version 2 is the thread before the assistant answered.
    const max = Number(await page.locator('#version').getAttribute('max'));
    assert.ok(max >= 3);
    await page.locator('#version').fill('2');
    await page.locator('#version').dispatchEvent('change');
    await page.waitForURL(/\?v=2$/);
    await page.locator('.banner').waitFor();
    assert.match((await page.locator('.banner').textContent()) ?? '', /version 2/);
    assert.equal(await messageCount(page), 1);
    await shot(page, 'viewer-ui-time-travel');
    await page.close();
  });

  test('a message link opens the page around that message; j/k move between messages', async () => {
    const target = `message ${BIG - 500}`;
    const probe = await browser.newPage();
    await probe.goto(`${ui.url}t/${seed.big!.id}`);
    const lastId = await probe.locator('article.msg').last().getAttribute('data-id');
    await probe.close();
    assert.ok(lastId);
    // The id of a message 500 back: read through the fragment endpoint the page itself uses.
    const res = await fetch(`${ui.url}ui/t/${seed.big!.id}/messages?before=${lastId}`);
    assert.equal(res.status, 200);
    const ids = [...(await res.text()).matchAll(/id="m-([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(ids.length, 50);
    const page = await browser.newPage({ width: 390, height: 800, colorScheme: 'dark' });
    await page.goto(`${ui.url}t/${seed.big!.id}#m-${ids[0]}`);
    await page.locator(`#m-${ids[0]}.focus`).waitFor();
    assert.equal(await page.locator(`#m-${ids[0]} .md`).textContent(), `message ${BIG - 51}\n`);
    await page.keyboard.press('j');
    await waitForHashAnd(page, 'article.msg.focus');
    assert.equal(await page.locator('article.msg.focus .md').textContent(), `message ${BIG - 50}\n`);
    await page.keyboard.press('k');
    await page.keyboard.press('k');
    assert.equal(await page.locator('article.msg.focus .md').textContent(), `message ${BIG - 52}\n`);
    assert.ok(target);
    await shot(page, 'viewer-ui-phone-dark');
    await page.close();
  });
});
