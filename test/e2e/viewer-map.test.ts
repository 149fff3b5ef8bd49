/**
 * The thread map in Debian's Chromium: over a local store (`skein ui`) a thread with a sub-agent,
 * a summary, a handoff each way, a fork and mentions each way draws them all, with a hostile
 * title shown as text; clicking a node opens that thread and a mention edge opens the message.
 * Over `skein serve`, another user's private thread is not on the map, not even its id.
 * Screenshots (light and dark) go to test-results/.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { launchBrowser, shot, type TestBrowser } from '../helpers/browser.js';
import { skeinJson } from '../helpers/cli.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { startUiProcess, type UrlProcess } from '../helpers/ui-process.js';

const HOSTILE_TITLE = `Plan <script>alert("map")</script> "quoted" & 'single' — a title long enough to be cut`;

const messageId = (r: { ops: unknown[] }) => (r.ops[0] as { message: { id: string } }).message.id;

/** Ids of the nodes the page's map draws. */
async function mapNodes(page: Page): Promise<string[]> {
  const nodes = await page.locator('#thread-map a.map-node[data-id]').all();
  return (await Promise.all(nodes.map(async (n) => (await n.getAttribute('data-id')) ?? ''))).sort();
}

let browser: TestBrowser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('thread map: skein ui over a local store', () => {
  let root: string;
  let ui: UrlProcess;
  const t: Record<string, ThreadID> = {};
  let mentionMessage: string;
  let fanOut: ThreadID;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'skein-viewer-map-'));
    const dir = join(root, 'store');
    const store: Store = await openStore({ dir });
    const old = await store.createThread({ title: 'Earlier investigation' });
    await store.append(old.id, { type: 'user:message', message: { content: 'the first try' } });
    const main = await store.handoff(old.id, { goal: 'find the race', title: HOSTILE_TITLE });
    // The earlier thread is archived; the one continuing it is brought back.
    await new Promise((r) => setTimeout(r, 5));
    await store.archiveInactiveThreads({ olderThanMs: 0 });
    await store.restoreThread(main.id);
    const first = messageId(await store.append(main.id, { type: 'assistant:message', message: { content: 'Looking at the login test.' } }));
    const child = await store.spawnSubAgentThread(main.id, 'Reproduce the flake 50 times', { title: 'Reproduce the flake' });
    const summary = await store.createSummaryThread(main.id, 'The wait was too short.', { title: 'Summary: the flake' });
    const fork = await store.fork(main.id, { atMessageId: first, title: 'Try another fix' });
    const next = await store.handoff(main.id, { goal: 'ship the fix', title: 'Ship the fix' });
    const talker = await store.createThread({ title: 'Standup notes' });
    await store.append(talker.id, { type: 'user:message', message: { content: 'filler before the mention' } });
    mentionMessage = messageId(await store.append(talker.id, { type: 'user:message', message: { content: `Progress is in @${main.id}.` } }));
    const named = await store.createThread({ title: 'Login test history' });
    await store.append(main.id, { type: 'assistant:message', message: { content: `Same pattern as ${named.id}.` } });
    const fan = await store.createThread({ title: 'Fan-out' });
    for (let i = 0; i < 14; i++) await store.spawnSubAgentThread(fan.id, `task ${i}`, { title: `Sub-agent ${i} with a rather long title that will not fit in its box` });
    fanOut = fan.id;
    Object.assign(t, { old: old.id, main: main.id, child: child.id, summary: summary.id, fork: fork.id, next: next.id, talker: talker.id, named: named.id });
    await store.close();
    ui = await startUiProcess(dir);
  });
  after(async () => {
    await ui?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const colorScheme of ['light', 'dark'] as const)
    test(`draws every neighbour, labelled, with the hostile title as text (${colorScheme})`, async () => {
      const page = await browser.newPage({ colorScheme });
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await page.goto(`${ui.url}t/${t.main}`);
      const map = page.locator('#thread-map');
      await map.waitFor();
      assert.deepEqual(await mapNodes(page), Object.values(t).sort());
      assert.equal(await page.locator('h1').first().textContent(), HOSTILE_TITLE);
      const centre = await page.locator('#thread-map .map-node.centre title').textContent();
      assert.equal(centre, HOSTILE_TITLE, 'the whole title, as text, is the tooltip');
      assert.equal(dialogs, 0, 'no script ran');
      const labels = await page.locator('#thread-map .map-label').allTextContents();
      for (const l of ['handed off from', 'mentions this', 'sub-agent', 'summary', 'fork', 'handed off to', 'mentioned here']) assert.ok(labels.includes(l), `label ${l}`);
      assert.match((await page.locator(`#thread-map a.map-node[data-id="${t.old}"]`).textContent()) ?? '', /archived/);
      // The map fits the page's column: no sideways scrolling at the default width.
      const box = (await map.boundingBox())!;
      const main = (await page.locator('main').boundingBox())!;
      assert.ok(box.x >= main.x && box.x + box.width <= main.x + main.width, `map ${JSON.stringify(box)} inside main ${JSON.stringify(main)}`);
      await page.locator('section.map').scrollIntoViewIfNeeded();
      await shot(page, `viewer-map-${colorScheme}`);
      await page.close();
    });

  test('many sub-agents: the side is cut with a "+N more" node, long titles cut to their box', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${fanOut}`);
    await page.locator('#thread-map').waitFor();
    assert.equal(await page.locator('#thread-map a.map-node.target').count(), 10);
    assert.equal(await page.locator('#thread-map .map-node.more').textContent(), '4 more linked threads: list them all+4 more');
    await page.locator('section.map').scrollIntoViewIfNeeded();
    await shot(page, 'viewer-map-many');
    await page.close();
  });

  test('"+N more" opens the page that lists every linked thread of that side', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${fanOut}`);
    await page.locator('#thread-map a.map-node.more').click();
    await page.waitForURL(new RegExp(`/t/${fanOut}/links#targets$`));
    const items = page.locator('#targets li');
    assert.equal(await items.count(), 14, 'all 14 sub-agents, the 4 the map left out too');
    assert.match((await items.first().textContent()) ?? '', /sub-agent/);
    assert.equal(await page.locator('#sources li').count(), 0);
    await shot(page, 'viewer-map-links-page');
    await items.last().locator('a').click();
    await page.waitForURL(/\/t\/T-[^/]+$/);
    assert.match((await page.locator('h1').first().textContent()) ?? '', /^Sub-agent \d+/);
    await page.close();
  });

  test('the map follows live changes: a sub-agent spawned while the page is open is drawn', async () => {
    const page = await browser.newPage();
    const store = await openStore({ dir: join(root, 'store') });
    try {
      const lone = await store.createThread({ title: 'Lone thread' });
      await page.goto(`${ui.url}t/${lone.id}`);
      await page.locator('#live.on').waitFor();
      assert.equal(await page.locator('#thread-map').count(), 0, 'no map while nothing is linked');
      const child = await store.spawnSubAgentThread(lone.id, 'look into it', { title: 'Spawned live' });
      await page.locator(`#thread-map a.map-node[data-id="${child.id}"]`).waitFor({ timeout: 5000 });
      assert.deepEqual(await mapNodes(page), [lone.id, child.id].sort());
      // A neighbour's change redraws its node (its message count).
      await store.append(child.id, { type: 'assistant:message', message: { content: 'found it' } });
      await page.locator(`#thread-map a.map-node[data-id="${child.id}"] .map-sub`, { hasText: '2 msgs' }).waitFor({ timeout: 5000 });
      // A thread that mentions this one while the page is open shows up on the left.
      const other = await store.createThread({ title: 'Mentions it' });
      await store.append(other.id, { type: 'user:message', message: { content: `see ${lone.id}` } });
      await page.locator(`#thread-map a.map-node.source[data-id="${other.id}"]`).waitFor({ timeout: 5000 });
      await page.locator('section.map').scrollIntoViewIfNeeded();
      await shot(page, 'viewer-map-live');
    } finally {
      await store.close();
      await page.close();
    }
  });

  test('on a phone the map scrolls sideways in its own box; the page does not', async () => {
    const page = await browser.newPage({ width: 390, height: 800 });
    await page.goto(`${ui.url}t/${t.main}`);
    await page.locator('#thread-map').waitFor();
    const widths = await page.evaluate(() => {
      const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return { page: g.document.documentElement.scrollWidth, view: g.innerWidth };
    });
    assert.ok(widths.page <= widths.view, `page ${widths.page} px within the ${widths.view} px view`);
    // It opens on the thread itself, in the middle of the map.
    const centre = (await page.locator('#thread-map .map-node.centre rect').boundingBox())!;
    assert.ok(centre.x >= 0 && centre.x + centre.width <= widths.view, `the middle node ${JSON.stringify(centre)} is on screen`);
    await page.locator('section.map').scrollIntoViewIfNeeded();
    await shot(page, 'viewer-map-phone');
    await page.close();
  });

  test('clicking a node opens that thread; a mention edge opens the message', async () => {
    const page = await browser.newPage();
    await page.goto(`${ui.url}t/${t.main}`);
    await page.locator(`#thread-map a.map-node[data-id="${t.child}"]`).click();
    await page.waitForURL(new RegExp(`/t/${t.child}$`));
    assert.equal(await page.locator('h1').first().textContent(), 'Reproduce the flake');
    // From the sub-agent, the map leads back to its main thread.
    assert.deepEqual(await mapNodes(page), [t.child, t.main].sort());
    await page.locator(`#thread-map a.map-node[data-id="${t.main}"]`).click();
    await page.waitForURL(new RegExp(`/t/${t.main}$`));
    await page.locator(`#thread-map .map-edge[data-to="${t.talker}"] a.map-edge-link`).click();
    await page.waitForURL(new RegExp(`/t/${t.talker}#m-${mentionMessage}$`));
    const target = page.locator(`#m-${mentionMessage}`);
    await target.waitFor();
    assert.match((await target.textContent()) ?? '', /Progress is in/);
    await page.close();
  });
});

describe('thread map: skein serve hides what the reader may not see', () => {
  let data: string;
  let deviceDir: string;
  let server: ServerProcess;
  let alice: string;
  let bob: string;
  let shared: ThreadID;
  let secret: ThreadID;
  let helper: ThreadID;

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-viewer-map-serve-'));
    deviceDir = join(data, 'device');
    server = await startServerProcess({ data: join(data, 'server') });
    alice = (await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'team', '--user', 'alice', '--data', join(data, 'server')])).token;
    bob = (await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'team', '--user', 'bob', '--data', join(data, 'server')])).token;
    const device = await openStore({ dir: deviceDir, remote: { url: server.url, token: alice, autoStart: false } });
    shared = (await device.createThread({ title: 'Team plan' })).id;
    await device.append(shared, { type: 'user:message', message: { content: 'what we do this week' } });
    // A summary (sub-agents are not pushed by default).
    helper = (await device.createSummaryThread(shared, 'the open bugs, in short', { title: 'Open bugs' })).id;
    const p = await device.createThread({ title: 'Alice private notes' });
    // Made private after it mentioned the plan (a private thread's new mentions link nothing).
    await device.append(p.id, { type: 'user:message', message: { content: `my doubts about ${shared}` } });
    await device.setVisibility(p.id, 'private');
    secret = p.id;
    assert.equal((await device.sync.now()).failed, 0);
    await device.close();
  });
  after(async () => {
    await server?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  async function signedIn(token: string): Promise<Page> {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${server.url}/signin?token=${encodeURIComponent(token)}`);
    await page.waitForURL(`${server.url}/`);
    return page;
  }

  test('another user sees the map without the private thread; its creator sees it', async () => {
    const page = await signedIn(bob);
    await page.goto(`${server.url}/t/${shared}`);
    await page.locator('#thread-map').waitFor();
    assert.deepEqual(await mapNodes(page), [shared, helper].sort());
    const htmlText = await page.content();
    assert.ok(!htmlText.includes(secret), 'the private thread id is nowhere on the page');
    assert.ok(!htmlText.includes('Alice private notes'));
    await shot(page, 'viewer-map-serve-other-user');
    // Nor on the page listing every linked thread, nor in the map fragment the page refreshes with.
    for (const path of [`/t/${shared}/links`, `/ui/t/${shared}/map`]) {
      const body = await (await page.request.get(`${server.url}${path}`)).text();
      assert.ok(body.includes(helper) && !body.includes(secret), path);
    }
    await page.locator(`#thread-map a.map-node[data-id="${helper}"]`).click();
    await page.waitForURL(new RegExp(`/t/${helper}$`));
    assert.equal(await page.locator('h1').first().textContent(), 'Open bugs');
    await page.close();

    const own = await signedIn(alice);
    await own.goto(`${server.url}/t/${shared}`);
    await own.locator('#thread-map').waitFor();
    assert.deepEqual(await mapNodes(own), [shared, helper, secret].sort());
    await own.close();
    await browser.context.clearCookies();
  });
});
