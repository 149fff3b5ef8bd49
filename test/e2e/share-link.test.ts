/**
 * A share link opened in a signed-out browser (real Chromium, fresh profile, no cookie): the public
 * thread reads without a token, the thread's own viewer page still asks to sign in, and the link
 * shows "not found" once the thread leaves `public`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { launchBrowser, shot, type TestBrowser } from '../helpers/browser.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';

describe('a share link in a signed-out browser', () => {
  let data: string;
  let deviceDir: string;
  let server: ServerProcess;
  let device: Store;
  let browser: TestBrowser;
  let id: ThreadID;

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-share-e2e-'));
    deviceDir = mkdtempSync(join(tmpdir(), 'skein-share-dev-'));
    server = await startServerProcess({ data });
    device = await openStore({ dir: deviceDir, remote: { url: server.url, token: await server.token('team'), autoStart: false } });
    const t = await device.createThread({ title: 'Shared <b>debugging</b> notes' });
    id = t.id;
    await device.append(id, { type: 'user:message', message: { content: 'Why does the login test flake?' } });
    await device.append(id, { type: 'assistant:message', message: { content: 'A race in the session cookie.', toolCalls: [{ id: 'c1', name: 'read_file', input: { path: 'src/login.ts' } }] } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await device?.close();
    await server?.stop();
    for (const d of [data, deviceDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('reads the public thread without a token, and stops the moment it leaves public', async () => {
    const shared = await device.setVisibility(id, 'public');
    assert.equal((await device.sync.now()).failed, 0);
    const link = `${server.url}/s/${shared.shareId}`;
    const page = await browser.newPage();
    const res = await page.goto(link);
    assert.equal(res?.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Shared <b>debugging</b> notes', 'the title is text, not markup');
    assert.equal(await page.locator('article.msg').count(), 2);
    assert.match((await page.locator('main').textContent()) ?? '', /A race in the session cookie\.[\s\S]*read_file/);
    assert.equal(await page.locator('form').count(), 0, 'read-only: no form');
    // Drawn by the viewer's renderer, with its stylesheet: a tool call is the viewer's collapsible block.
    assert.equal(await page.locator('article.msg.role-assistant details.tool-call .tool-name').textContent(), 'read_file');
    const styled = await page.locator('article.msg').first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { borderTopLeftRadius: string } }).getComputedStyle(el).borderTopLeftRadius);
    assert.equal(styled, '8px', 'the viewer stylesheet applies');
    await shot(page, 'share-link');

    // The same browser is not signed in: the viewer's own page for the thread asks for a token.
    const own = await page.goto(`${server.url}/t/${id}`);
    assert.equal(own?.status(), 401);
    assert.doesNotMatch((await page.content()), /session cookie/);

    await device.setVisibility(id, 'workspace');
    assert.equal((await device.sync.now()).failed, 0);
    const gone = await page.goto(link);
    assert.equal(gone?.status(), 404);
    assert.doesNotMatch(await page.content(), /session cookie/);
    assert.match(await page.content(), /no longer public/);
  });
});
