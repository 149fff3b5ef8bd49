/**
 * The viewer's search end to end: a real `skein ui` child process over a real store, read by
 * Debian's Chromium. `/` focuses the header's box; a query and Enter show the results page with
 * marked words; a result opens its thread at the message, deep in a long thread; hostile text in a
 * snippet stays text; bad syntax is said on the page. Behind `skein serve`, search answers for
 * the signed-in workspace only. Screenshots go under test-results/.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, shot, waitForCount, type TestBrowser } from '../helpers/browser.js';
import { skein, skeinJson } from '../helpers/cli.js';
import { startUiProcess, startUrlProcess, type UrlProcess } from '../helpers/ui-process.js';
import { openStore, type Delta, type ThreadID } from '../../src/index.js';
import { seedViewerStore } from '../helpers/viewer-fixtures.js';

const LONG = 3000;
/** Where in the long thread the needle sits: far above its newest page. */
const DEEP = 700;

let root: string;
let ui: UrlProcess;
let browser: TestBrowser;
let long: ThreadID;
let deepId: string;

/** The element that has the keyboard focus: its id (a function: the CSP forbids strings). */
function activeId(page: Page): Promise<string | undefined> {
  return page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id?: string } | null } }).document.activeElement?.id);
}

/** The message is in view, below the sticky header (not hidden under it). */
async function belowHeader(page: Page, target: Locator): Promise<void> {
  const box = await target.boundingBox();
  const header = await page.locator('header.top').boundingBox();
  const height = page.viewportSize()!.height;
  assert.ok(box && header, 'both laid out');
  assert.ok(box.y >= header.y + header.height && box.y < height, `the message is in view below the header (y ${box.y}, header ends at ${header.y + header.height})`);
}

function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned);
}

describe('skein ui: search in the viewer', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'skein-viewer-search-'));
    const dir = join(root, 'store');
    await seedViewerStore(dir, { workspace: join(root, 'work') });
    const store = await openStore({ dir, durability: 'normal' });
    try {
      long = (await store.createThread({ title: 'A long debugging session', env: { cwd: '/home/dev/app' } })).id;
      const deltas: Delta[] = Array.from({ length: LONG }, (_, i) => ({
        type: i % 2 ? 'assistant:message' : 'user:message',
        message: {
          content:
            i === DEEP ? 'Found it: the narwhal cache evicts entries before the session expires.' : i % 100 === 50 ? `wombat sighting number ${i}` : `step ${i} of the investigation`,
        },
      }));
      await store.append(long, deltas);
      // `offset` counts back from the newest message.
      deepId = (await store.loadPage(long, { offset: LONG - 1 - DEEP, limit: 1 })).messages[0]!.id;
      // The same word in another thread, newer: both are found.
      const other = await store.createThread({ title: 'Narwhal notes' });
      await store.append(other.id, { type: 'user:message', message: { content: 'What does the narwhal cache keep?' } });
    } finally {
      await store.close();
    }
    ui = await startUiProcess(dir);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('/ focuses the search box; a query and Enter show marked snippets; a result opens the message deep in its thread', async () => {
    const page = await browser.newPage();
    await page.goto(ui.url);
    assert.notEqual(await activeId(page), 'search-q');
    await page.keyboard.press('/');
    assert.equal(await activeId(page), 'search-q');
    await page.keyboard.type('narwhal cache');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=narwhal\+cache$/);
    const results = page.locator('.result');
    await results.first().waitFor();
    assert.equal(await results.count(), 2);
    const marks = await page.locator('.result mark').allTextContents();
    assert.ok(marks.length >= 4, `${marks.length} marked words`);
    for (const m of marks) assert.match(m, /^(narwhal|cache)$/i);
    assert.equal(await page.locator('#search-q').inputValue(), 'narwhal cache', 'the box keeps the query');
    await shot(page, 'viewer-search-results');

    const deep = page.locator(`.result[data-message="${deepId}"]`);
    assert.match((await deep.locator('.snippet').textContent()) ?? '', /the narwhal cache evicts entries/);
    await deep.locator('a').click();
    await page.waitForURL(new RegExp(`/t/${long}#m-${deepId}$`));
    const target = page.locator(`#m-${deepId}`);
    await page.locator(`#m-${deepId}.focus`).waitFor();
    assert.match((await target.textContent()) ?? '', /the narwhal cache evicts/);
    // Shown in the window, not the newest page: the thread's last message is not on the page.
    assert.equal(await page.locator('article.msg', { hasText: `step ${LONG - 1} of` }).count(), 0);
    await belowHeader(page, target);
    await shot(page, 'viewer-search-landed');
    await page.close();
  });

  test('more results load as the page scrolls, each once', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}search?q=wombat`);
    const results = page.locator('.result');
    await results.first().waitFor();
    assert.equal(await results.count(), 20, 'the first page');
    await page.locator('.sentinel').scrollIntoViewIfNeeded();
    await waitForCount(page, '.result', LONG / 100);
    assert.equal(await page.locator('.sentinel').count(), 0, 'no more pages');
    const ids = await page.locator('.result').evaluateAll((els) => els.map((e) => e.getAttribute('data-message')));
    assert.equal(new Set(ids).size, LONG / 100);
    await page.close();
  });

  test('hostile text in a snippet stays text; a title match opens the thread', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}search?q=pwned`);
    await page.locator('.result').first().waitFor();
    const snippets = (await page.locator('.result .snippet').allTextContents()).join('\n');
    assert.match(snippets, /<script>window\.__pwned|onerror=/, 'the markup shows as text');
    assert.equal(await page.locator('.result .snippet script, .result .snippet img').count(), 0);
    assert.equal(await pwned(page), undefined);
    await shot(page, 'viewer-search-hostile');
    await page.locator('#search-q').fill('narwhal notes');
    await page.locator('#search-q').press('Enter');
    await page.waitForURL(/q=narwhal\+notes/);
    const title = page.locator('.result:not([data-message])');
    await title.first().waitFor();
    await title.first().locator('a').click();
    await page.waitForURL(/\/t\/T-[^#]+$/);
    assert.equal(await page.locator('h1').textContent(), 'Narwhal notes');
    await page.close();
  });

  test('bad syntax is said on the page; at phone width the box sits on its own line and a result lands below the header', async () => {
    const page = await browser.newPage({ width: 390, height: 800, colorScheme: 'dark' });
    const res = await page.goto(`${ui.url}search?q=${encodeURIComponent('"narwhal')}`);
    assert.equal(res?.status(), 400);
    assert.match((await page.locator('.error').textContent()) ?? '', /quote is not closed/);
    await page.locator('#search-q').fill('narwhal');
    await page.locator('#search-q').press('Enter');
    await page.locator('.result').first().waitFor();
    const header = await page.locator('header.top').boundingBox();
    const input = await page.locator('#search-q').boundingBox();
    assert.ok(header && input);
    assert.ok(input.width > 300, `the box is wide enough to type in (${input.width}px)`);
    assert.ok(input.x + input.width <= 390, 'and fits the screen');
    const scrollWidth = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= 390, `nothing wider than the screen (${scrollWidth}px)`);
    await shot(page, 'viewer-search-phone-dark');
    // At phone width the header is two lines high: the landed message still shows whole below it.
    await page.locator(`.result[data-message="${deepId}"] a`).click();
    await page.waitForURL(new RegExp(`#m-${deepId}$`));
    const target = page.locator(`#m-${deepId}.focus`);
    await target.waitFor();
    await belowHeader(page, target);
    await shot(page, 'viewer-search-phone-landed');
    await page.close();
  });
});

describe('skein serve: search behind the sign-in, per workspace', () => {
  let dir: string;
  let server: UrlProcess;
  let base: string;
  let browser: TestBrowser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-viewer-search-serve-'));
    const data = join(dir, 'server');
    server = await startUrlProcess(['serve', '--demo', '--data', data, '--port', '0']);
    base = new URL(server.url).origin;
    // Another workspace holds a thread with a word the demo workspace lacks.
    const device = join(dir, 'device');
    const store = await openStore({ dir: device });
    const t = await store.createThread({ title: 'Secret plans' });
    await store.append(t.id, { type: 'user:message', message: { content: 'the okapi protocol is confidential' } });
    await store.close();
    const { token } = await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'other', '--data', data]);
    const run = await skein(['sync', '--remote', base, '--token', token, '--dir', device]);
    assert.equal(run.code, 0, run.stderr);
    // The word is on the server, found in its own workspace: a miss elsewhere means something.
    const own = (await (await fetch(`${base}/v1/search?q=okapi`, { headers: { authorization: `Bearer ${token}` } })).json()) as { results: unknown[] };
    assert.equal(own.results.length, 1);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('signed out sees the sign-in page; signed in finds its own workspace only', async () => {
    const page = await browser.newPage();
    const anon = await page.goto(`${base}/search?q=okapi`);
    assert.equal(anon?.status(), 401);
    assert.equal(await page.locator('.result').count(), 0);
    assert.equal(await page.locator('#search-q').count(), 0, 'no search box before sign-in');
    assert.doesNotMatch(await page.content(), /okapi protocol/);
    await page.goto(server.url);
    await page.waitForURL(`${base}/`);
    await page.keyboard.press('/');
    await page.keyboard.type('okapi');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=okapi$/);
    await page.locator('.empty').waitFor();
    assert.equal(await page.locator('.result').count(), 0, "another workspace's thread is not found");
    await page.locator('#search-q').fill('login');
    await page.locator('#search-q').press('Enter');
    await page.waitForURL(/q=login$/);
    await page.locator('.result mark').first().waitFor();
    assert.ok((await page.locator('.result').count()) > 0);
    await shot(page, 'viewer-search-serve');
    const first = page.locator('.result[data-message]').first();
    const messageId = await first.getAttribute('data-message');
    await first.locator('a').click();
    await page.waitForURL(new RegExp(`/t/T-[^#]+#m-${messageId}$`));
    await page.locator(`#m-${messageId}.focus`).waitFor();
    await page.close();
  });
});
