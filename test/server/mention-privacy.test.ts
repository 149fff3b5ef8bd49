/**
 * Mentions across devices and users on a real `skein serve` (SQLite) on loopback. A mention's link
 * is made once, by the device that wrote the message, and reaches other devices as an op: pulling
 * it does not link again. A private thread naming a workspace thread makes no link, so a reader
 * who may not see the private thread finds its id in no answer about the named thread.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { skeinJson } from '../helpers/cli.js';
import { api, openEventStream, startServerProcess, type ServerProcess } from '../helpers/sync-server.js';

describe('mentions on a server: linked once, and private threads leave no trace on what they name', () => {
  let data: string;
  let server: ServerProcess;
  const dirs: string[] = [];
  const tokens = { alice: '', bob: '' };
  let laptop: Store; // alice
  let desktop: Store; // alice's second device
  let bobs: Store;
  let shared: ThreadID;
  let open: ThreadID;
  let secret: ThreadID;
  const device = async (token: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-mention-device-'));
    dirs.push(dir);
    return openStore({ dir, remote: { url: server.url, token, autoStart: false } });
  };
  const synced = async (s: Store) => assert.equal((await s.sync.now()).failed, 0);

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-mention-server-'));
    server = await startServerProcess({ data });
    for (const user of ['alice', 'bob'] as const)
      tokens[user] = (await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'team', '--user', user, '--data', data])).token;
    laptop = await device(tokens.alice);
    desktop = await device(tokens.alice);
    bobs = await device(tokens.bob);
    shared = (await laptop.createThread({ title: 'the shared plan' })).id;
    await laptop.append(shared, { type: 'user:message', message: { content: 'marmalade plan for everyone' } });
    open = (await laptop.createThread({ title: 'open notes' })).id;
    await laptop.append(open, { type: 'user:message', message: { content: `building on ${shared}` } });
    secret = (await laptop.createThread({ title: 'secret notes' })).id;
    await laptop.setVisibility(secret, 'private');
    await laptop.append(secret, { type: 'user:message', message: { content: `quietly about ${shared}` } });
    await synced(laptop);
    await synced(desktop);
    await synced(bobs);
  });
  after(async () => {
    for (const s of [laptop, desktop, bobs]) await s?.close();
    await server?.stop();
    for (const d of [data, ...dirs]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('a synced mention is linked once: pulled ops are not linked again, on any device', async () => {
    for (const s of [laptop, desktop, bobs]) {
      const ops = (await s.history(shared)).filter((op) => op.type === 'mention:link');
      assert.equal(ops.length, 1);
      assert.deepEqual((await s.info(shared))!.links?.map((l) => l.threadId), [open]);
    }
    // Bob writes on the shared thread and on the one that names it; alice's devices pull it all back.
    await bobs.append(shared, { type: 'assistant:message', message: { content: 'noted' } });
    await bobs.append(open, { type: 'assistant:message', message: { content: 'also noted' } });
    await synced(bobs);
    await synced(laptop);
    await synced(desktop);
    for (const s of [laptop, desktop, bobs]) assert.equal((await s.history(shared)).filter((op) => op.type === 'mention:link').length, 1);
  });

  test("no answer about the named thread holds the private thread's id for a reader who may not see it", async () => {
    const routes = [
      `/v1/threads/${shared}`,
      `/v1/threads/${shared}?sinceVersion=0`,
      `/v1/threads/${shared}/messages`,
      `/v1/threads/${shared}/info`,
      `/v1/threads/${shared}/tree`,
      `/v1/threads/${shared}/usage?tree=true`,
      '/v1/threads?limit=100',
      '/v1/search?q=marmalade',
      '/v1/sync/pull?cursor=0',
    ];
    for (const route of routes) {
      const r = await api(server.url, tokens.bob, route);
      assert.equal(r.status, 200, route);
      assert.ok(!JSON.stringify(r.body).includes(secret), `${route} names the private thread`);
    }
    // The workspace thread's mention is there for bob, so the routes above did carry links.
    const tree = await api(server.url, tokens.bob, `/v1/threads/${shared}/tree`);
    assert.ok(JSON.stringify(tree.body).includes(open));
    // And bob's device, which pulled everything it may, holds no trace either.
    assert.ok(!JSON.stringify(await bobs.history(shared)).includes(secret));
    assert.equal(await bobs.info(secret), null);
  });

  test('event pokes while the private thread names the shared one again name only the shared one', async () => {
    const events = await openEventStream(server.url, tokens.bob);
    await laptop.append(secret, { type: 'user:message', message: { content: `still about @${shared}` } });
    await synced(laptop);
    await laptop.append(shared, { type: 'user:message', message: { content: 'an open word' } });
    await synced(laptop);
    while (!events.text.includes(shared)) await events.next();
    events.close();
    assert.ok(!events.text.includes(secret), events.text);
    assert.equal((await laptop.history(shared)).filter((op) => op.type === 'mention:link').length, 1, 'the private thread linked nothing');
  });
});
