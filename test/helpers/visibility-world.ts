/**
 * The visibility auth matrix against a real `skein serve` (SQLite or PostgreSQL): alice creates a
 * private, a workspace and a public thread on her device and syncs; bob (another user of the same
 * workspace) and a caller without a token then try every route. Shared by the SQLite test and the
 * Postgres smoke test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type Thread, type ThreadID } from '../../src/index.js';
import { skein, skeinJson } from './cli.js';
import { api, openEventStream, startServerProcess, type ServerProcess, type ServerStorageChoice } from './sync-server.js';

type Vis = 'private' | 'workspace' | 'public';
type Who = 'creator' | 'other' | 'none';
const VIS: readonly Vis[] = ['private', 'workspace', 'public'];
const WHO: readonly Who[] = ['creator', 'other', 'none'];

/** Defines the matrix tests for a storage made by `storage()` (and removed by its `drop`). */
export function visibilityMatrix(name: string, storage: () => Promise<{ choice: ServerStorageChoice; drop(): Promise<void> }>, options: { full: boolean } = { full: true }): void {
  describe(name, () => {
    let server: ServerProcess;
    let drop: () => Promise<void>;
    const tokens = new Map<Who, string | undefined>();
    const ids = new Map<Vis, ThreadID>();
    let device: Store;
    let deviceDir: string;
    let choice: ServerStorageChoice;
    const storageArgs = () => ('data' in choice ? ['--data', choice.data] : ['--db', choice.db, '--schema', choice.schema]);

    before(async () => {
      const s = await storage();
      choice = s.choice;
      drop = s.drop;
      server = await startServerProcess(choice);
      for (const [who, user] of [['creator', 'alice'], ['other', 'bob']] as const) {
        const r = await skeinJson<{ token: string; user: string }>(['token', 'create', '--workspace', 'team', '--user', user, ...storageArgs()]);
        assert.equal(r.user, user);
        tokens.set(who, r.token);
      }
      tokens.set('none', undefined);
      deviceDir = mkdtempSync(join(tmpdir(), 'skein-vis-'));
      device = await openStore({ dir: deviceDir, remote: { url: server.url, token: tokens.get('creator')!, autoStart: false } });
      for (const v of VIS) {
        const t = await device.createThread({ title: `${v} thread` });
        await device.append(t.id, { type: 'user:message', message: { content: `zebrafish note of the ${v} thread` } });
        if (v !== 'workspace') await device.setVisibility(t.id, v);
        ids.set(v, t.id);
      }
      const r = await device.sync.now();
      assert.equal(r.failed, 0);
    });
    after(async () => {
      await device?.close();
      await server?.stop();
      if (deviceDir) rmSync(deviceDir, { recursive: true, force: true });
      await drop?.();
    });

    /** What a caller may see of a thread with this visibility on the token routes. */
    const allowed = (who: Who, v: Vis) => who === 'creator' || (who === 'other' && v !== 'private');

    test('a token names its user; bad user names are refused', async () => {
      const bad = await skein(['token', 'create', '--workspace', 'team', '--user', 'no spaces', ...storageArgs()]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /user/);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
    });

    for (const who of WHO)
      test(`read routes for ${who}`, async () => {
        const token = tokens.get(who);
        const list = await api(server.url, token, '/v1/threads?limit=100');
        const search = await api(server.url, token, '/v1/search?q=zebrafish');
        const pull = await api(server.url, token, '/v1/sync/pull?cursor=0');
        if (who === 'none') {
          for (const r of [list, search, pull]) assert.equal(r.status, 401);
        }
        for (const v of VIS) {
          const id = ids.get(v)!;
          const read = await api(server.url, token, `/v1/threads/${id}`);
          const since = await api(server.url, token, `/v1/threads/${id}?sinceVersion=0`);
          const pages = await api(server.url, token, `/v1/threads/${id}/messages`);
          const head = await api(server.url, token, `/v1/threads/${id}/info`);
          const tree = await api(server.url, token, `/v1/threads/${id}/tree`);
          const usage = await api(server.url, token, `/v1/threads/${id}/usage?tree=true`);
          const what = `${who} x ${v}`;
          if (who === 'none') {
            for (const r of [read, since, pages, head, tree, usage]) assert.equal(r.status, 401, what);
            continue;
          }
          const ok = allowed(who, v);
          assert.equal(read.status, ok ? 200 : 404, `${what}: read`);
          assert.equal(since.status, ok ? 200 : 404, `${what}: read since version`);
          assert.equal(pages.status, ok ? 200 : 404, `${what}: pages`);
          for (const [name, r] of [['head', head], ['tree', tree], ['usage', usage]] as const) assert.equal(r.status, ok ? 200 : 404, `${what}: ${name}`);
          if (ok) {
            assert.equal((read.body as Thread).title, `${v} thread`);
            assert.equal((head.body as Thread).title, `${v} thread`);
            assert.equal((tree.body as { thread: { id: string } }).thread.id, id);
          } else for (const r of [read, since, pages, head, tree, usage]) assert.ok(!JSON.stringify(r.body).includes('zebrafish'), `${what}: content leaked`);
          const listed = (list.body as { threads: { id: string }[] }).threads.some((t) => t.id === id);
          assert.equal(listed, ok, `${what}: list`);
          const found = (search.body as { results: { threadId: string }[] }).results.some((r) => r.threadId === id);
          assert.equal(found, ok, `${what}: search`);
          const pulled = (pull.body as { changes: { id: string }[] }).changes.some((ch) => ch.id === id);
          assert.equal(pulled, ok, `${what}: pull`);
          assert.equal(JSON.stringify(pull.body).includes(`the ${v} thread`), ok, `${what}: pulled content`);
        }
      });

    test('share links: public only, without a token; revoked the moment the thread leaves public', async () => {
      const pub = (await device.getThread(ids.get('public')!))!;
      const shareId = pub.shareId!;
      assert.ok(shareId && !shareId.includes(pub.id.slice(2)), 'random, not the thread id');
      const page = await fetch(`${server.url}/s/${shareId}`);
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.match(text, /zebrafish note of the public thread/);
      assert.doesNotMatch(text, /<script/);
      const asJson = await api(server.url, undefined, `/s/${shareId}.json`);
      assert.equal(asJson.status, 200);
      assert.equal((asJson.body as Thread).messages[0]!.content, 'zebrafish note of the public thread');
      const byAccept = await api(server.url, undefined, `/s/${shareId}`, { headers: { accept: 'application/json' } });
      assert.equal((byAccept.body as Thread).id, pub.id);
      // Nothing else is reachable by a share-like path: a thread id, a made-up id.
      assert.equal((await fetch(`${server.url}/s/${pub.id}`)).status, 404);
      assert.equal((await fetch(`${server.url}/s/${'A'.repeat(24)}`)).status, 404);

      await device.setVisibility(pub.id, 'workspace');
      assert.equal((await device.sync.now()).failed, 0);
      assert.equal((await fetch(`${server.url}/s/${shareId}`)).status, 404, 'revoked page');
      assert.equal((await api(server.url, undefined, `/s/${shareId}.json`)).status, 404, 'revoked JSON');

      const again = await device.setVisibility(pub.id, 'public');
      assert.equal((await device.sync.now()).failed, 0);
      assert.notEqual(again.shareId, shareId);
      assert.equal((await fetch(`${server.url}/s/${shareId}`)).status, 404, 'an old link stays dead');
      assert.equal((await fetch(`${server.url}/s/${again.shareId}`)).status, 200, 'the new link works');
      const history = await device.history(pub.id);
      assert.deepEqual(history.filter((op) => op.type === 'visibility:set').map((op) => (op as { value: string }).value), ['public', 'workspace', 'public']);
    });

    if (!options.full) return;

    test('viewer pages and fragments follow the same rules', async () => {
      for (const who of ['creator', 'other'] as const) {
        const signin = await fetch(`${server.url}/signin?token=${encodeURIComponent(tokens.get(who)!)}`, { redirect: 'manual' });
        assert.equal(signin.status, 303);
        const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
        const get = (path: string) => fetch(`${server.url}${path}`, { headers: { cookie } });
        const list = await (await get('/')).text();
        const more = await (await get('/ui/list')).text();
        for (const v of VIS) {
          const id = ids.get(v)!;
          const ok = allowed(who, v);
          const what = `${who} x ${v}`;
          assert.equal((await get(`/t/${id}`)).status, ok ? 200 : 404, `${what}: page`);
          assert.equal((await get(`/ui/t/${id}/messages`)).status, ok ? 200 : 404, `${what}: messages fragment`);
          assert.equal((await get(`/ui/t/${id}/usage`)).status, ok ? 200 : 404, `${what}: usage fragment`);
          const row = await get(`/ui/row/${id}`);
          assert.equal(row.status === 404, !ok, `${what}: row fragment (${row.status})`);
          assert.equal(list.includes(id), ok, `${what}: list page`);
          assert.equal(more.includes(id), ok, `${what}: list fragment`);
          if (!ok) assert.ok(!(await (await get(`/t/${id}`)).text()).includes('zebrafish'), `${what}: content leaked`);
        }
      }
      // Signed out: a sign-in page, never a thread.
      const anon = await fetch(`${server.url}/t/${ids.get('workspace')!}`);
      assert.equal(anon.status, 401);
      assert.ok(!(await anon.text()).includes('zebrafish'));
    });

    test('skein share: sets visibility, syncs, prints the link; stable JSON; bad use is one line', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skein-share-cli-'));
      try {
        const id = (await skeinJson<{ id: string }>(['new', '--title', 'cli shared', '--dir', dir])).id;
        const offline = await skeinJson<Record<string, unknown>>(['share', id, '--private', '--dir', dir]);
        assert.deepEqual(offline, { id, visibility: 'private', v: 2, synced: false });
        const env = { SKEIN_REMOTE: server.url, SKEIN_TOKEN: tokens.get('creator')! };
        const pub = await skeinJson<{ url: string; shareId: string; synced: boolean; visibility: string }>(['share', id, '--public', '--dir', dir], { env });
        assert.deepEqual(Object.keys(pub), ['id', 'visibility', 'v', 'shareId', 'url', 'synced']);
        assert.equal(pub.synced, true);
        assert.equal(pub.url, `${server.url}/s/${pub.shareId}`);
        assert.equal((await api(pub.url, undefined, `/s/${pub.shareId}.json`)).status, 200);
        const human = await skein(['share', id, '--workspace', '--dir', dir], { env });
        assert.equal(human.code, 0);
        assert.equal((await fetch(pub.url)).status, 404, 'revoked through the CLI');
        for (const bad of [['share', id, '--dir', dir], ['share', id, '--public', '--private', '--dir', dir], ['share', 'T-nope', '--public', '--dir', dir]]) {
          const r = await skein(bad);
          assert.notEqual(r.code, 0, bad.join(' '));
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        }
        const log = await skeinJson<{ ops: { type: string; value?: string }[] }>(['log', id, '--dir', dir]);
        assert.deepEqual(log.ops.filter((op) => op.type === 'visibility:set').map((op) => op.value), ['private', 'public', 'workspace'], 'each change is an op in the history');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('another user cannot push into a private thread', async () => {
      const privId = ids.get('private')!;
      const ops = await device.history(privId);
      const r = await api(server.url, tokens.get('other'), '/v1/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'push', protocol: 1, clientId: 'bobdevice', threads: [{ id: privId, baseVersion: ops.length, ops: [{ ...ops.at(-1)!, opId: 'x1', v: ops.length + 1, type: 'title', value: 'bob was here' }] }] }),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const result = (r.body as { threads: { status: string; code?: string }[] }).threads[0]!;
      assert.equal(result.status, 'rejected');
      assert.equal(result.code, 'NOT_FOUND');
      const still = await api(server.url, tokens.get('creator'), `/v1/threads/${privId}`);
      assert.equal((still.body as Thread).title, 'private thread');
    });

    test('event pokes name no private thread of another user', async () => {
      const events = await openEventStream(server.url, tokens.get('other')!);
      await device.append(ids.get('private')!, { type: 'user:message', message: { content: 'more private' } });
      assert.equal((await device.sync.now()).failed, 0);
      await device.append(ids.get('workspace')!, { type: 'user:message', message: { content: 'more shared' } });
      assert.equal((await device.sync.now()).failed, 0);
      while (!events.text.includes(ids.get('workspace')!)) await events.next();
      events.close();
      assert.ok(!events.text.includes(ids.get('private')!), `bob's stream named alice's private thread:\n${events.text}`);
    });
  });
}
