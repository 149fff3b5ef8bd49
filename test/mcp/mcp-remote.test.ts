/**
 * `skein mcp --remote`: the MCP SDK's client over a real stdio child process, answering from a
 * real `skein serve` child on loopback. Alice syncs a workspace thread (with a workspace and a
 * private sub-agent) and a private thread; Bob, another user of the workspace, must not find
 * Alice's private threads through any tool; refusals of the server are tool errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { CLI, skeinJson } from '../helpers/cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { billingConversation } from '../helpers/mcp-fixture.js';

type Answer = { content: { type: string; text: string }[]; isError?: boolean };
const text = (a: Answer) => a.content.map((c) => c.text).join('\n');

/** An MCP client over `skein mcp ...args` as a child process. */
async function mcpClient(args: string[]): Promise<{ call(name: string, a: Record<string, unknown>): Promise<Answer>; close(): Promise<void> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...args], stderr: 'pipe' });
  const client = new Client({ name: 'skein-test', version: '1.0.0' });
  await client.connect(transport);
  return { call: async (name, a) => (await client.callTool({ name, arguments: a })) as Answer, close: () => client.close() };
}

describe('skein mcp --remote: the tools answer from a skein server, as far as the token may see', () => {
  let data: string;
  let deviceDir: string;
  let server: ServerProcess;
  let device: Store;
  const tokens = { alice: '', bob: '' };
  let main: ThreadID;
  let shared: ThreadID;
  let hiddenChild: ThreadID;
  let secret: ThreadID;
  let bob: Awaited<ReturnType<typeof mcpClient>>;
  let alice: Awaited<ReturnType<typeof mcpClient>>;
  const json = async (c: typeof bob, name: string, a: Record<string, unknown>) => {
    const r = await c.call(name, a);
    assert.notEqual(r.isError, true, text(r));
    return JSON.parse(text(r)) as Record<string, unknown>;
  };

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-mcp-server-'));
    server = await startServerProcess({ data });
    for (const user of ['alice', 'bob'] as const)
      tokens[user] = (await skeinJson<{ token: string }>(['token', 'create', '--workspace', 'team', '--user', user, '--data', data])).token;
    deviceDir = mkdtempSync(join(tmpdir(), 'skein-mcp-device-'));
    // Sub-agents sync here (they stay on the device by default), so that the tree and cost routes have some.
    device = await openStore({ dir: deviceDir, policies: { subagent: { sync: true } }, remote: { url: server.url, token: tokens.alice, autoStart: false } });
    main = (await device.createThread({ title: 'Migrate the billing cron' })).id;
    await device.append(main, billingConversation());
    shared = (await device.spawnSubAgentThread(main, 'Find every caller of the invoice job')).id;
    await device.append(shared, { type: 'assistant:message', message: { content: 'found 3 callers', resourceUsage: { model: 'haiku', costUSD: 0.001 } } });
    hiddenChild = (await device.spawnSubAgentThread(main, 'Look at the payroll invoices quietly')).id;
    await device.append(hiddenChild, { type: 'assistant:message', message: { content: 'kumquat findings', resourceUsage: { model: 'sonnet', costUSD: 0.5 } } });
    await device.setVisibility(hiddenChild, 'private');
    secret = (await device.createThread({ title: 'kumquat plans' })).id;
    await device.append(secret, { type: 'user:message', message: { content: 'the kumquat invoice plan' } });
    await device.setVisibility(secret, 'private');
    assert.equal((await device.sync.now()).failed, 0);
    bob = await mcpClient(['--remote', server.url, '--token', tokens.bob]);
    alice = await mcpClient(['--remote', server.url, '--token', tokens.alice]);
  });
  after(async () => {
    await bob?.close();
    await alice?.close();
    await device?.close();
    await server?.stop();
    for (const d of [data, deviceDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('search, list, read (newest, range, trimmed tool output), tree and cost answer as they do locally', async () => {
    const found = (await json(bob, 'search_threads', { query: 'deploy/crontab' })) as { results: { threadId: string }[] };
    assert.deepEqual(found.results.map((r) => r.threadId), [main]);
    const paged = (await json(bob, 'search_threads', { query: 'step', limit: 10 })) as { results: unknown[]; nextCursor?: string };
    assert.equal(paged.results.length, 10);
    const rest = (await json(bob, 'search_threads', { query: 'step', limit: 50, cursor: paged.nextCursor })) as { results: unknown[] };
    assert.equal(rest.results.length, 20);

    const newest = text(await bob.call('read_thread', { threadId: main, newest: 2 }));
    assert.match(newest, /messages 31\.\.32 of 33/);
    assert.match(newest, /#32 \[assistant\][^\n]*\nstep 29/);
    assert.match(newest, /older: from=29 to=31/);
    const range = text(await bob.call('read_thread', { threadId: main, from: 0, to: 3 }));
    assert.match(range, /#0 \[user\][^\n]*\nMove the nightly invoice job/);
    assert.match(range, /→ tool call read_file \(c1\): \{"path":"deploy\/crontab"\}/);
    assert.match(range, /← tool result \(c1\): 0 2 \* \* \* invoices x+… \[trimmed: 3019 of 5019 characters not shown\]/);
    assert.match(text(await bob.call('read_thread', { threadId: shared })), /sub-agent of T-[\s\S]*found 3 callers/);

    const list = (await json(alice, 'list_threads', { limit: 2 })) as { threads: { id: string }[]; nextCursor?: string };
    assert.equal(list.threads.length, 2);
    assert.ok(list.nextCursor);

    const tree = (await json(alice, 'thread_tree', { threadId: main })) as { children: { id: string; kind: string }[] };
    assert.deepEqual(tree.children.map((c) => c.id).sort(), [shared, hiddenChild].sort());
    const cost = (await json(alice, 'thread_cost', { threadId: main, tree: true, byDay: true })) as { costUSD: number; byModel: Record<string, unknown>; byDay: Record<string, unknown> };
    assert.ok(Math.abs(cost.costUSD - 0.521) < 1e-9, String(cost.costUSD));
    assert.deepEqual(Object.keys(cost.byModel).sort(), ['haiku', 'opus', 'sonnet']);
    assert.equal(Object.keys(cost.byDay).length, 1);
    const alone = (await json(alice, 'thread_cost', { threadId: main })) as { costUSD: number };
    assert.ok(Math.abs(alone.costUSD - 0.02) < 1e-9, String(alone.costUSD));
  });

  test("another user's private threads are not found through any tool", async () => {
    for (const id of [secret, hiddenChild]) {
      for (const tool of ['read_thread', 'thread_tree', 'thread_cost']) {
        const r = await bob.call(tool, { threadId: id });
        assert.equal(r.isError, true, `${tool} ${id}: ${text(r)}`);
        assert.match(text(r), /^NOT_FOUND: /, tool);
      }
      // Alice, who made them, reads them.
      assert.notEqual((await alice.call('read_thread', { threadId: id })).isError, true);
    }
    const search = await bob.call('search_threads', { query: 'kumquat' });
    assert.deepEqual(JSON.parse(text(search)).results, []);
    assert.equal(JSON.parse(text(await alice.call('search_threads', { query: 'kumquat' }))).results.length, 3);
    const all = text(await bob.call('list_threads', { limit: 200 }));
    const tree = text(await bob.call('thread_tree', { threadId: main }));
    const cost = JSON.parse(text(await bob.call('thread_cost', { threadId: main, tree: true }))) as { costUSD: number; byModel: Record<string, unknown>; threads: number };
    for (const [what, body] of [['list', all], ['tree', tree]] as const)
      for (const id of [secret, hiddenChild]) assert.ok(!body.includes(id), `${what} names ${id}`);
    assert.ok(tree.includes(shared));
    assert.equal(cost.threads, 2);
    assert.ok(Math.abs(cost.costUSD - 0.021) < 1e-9, String(cost.costUSD));
    assert.deepEqual(Object.keys(cost.byModel).sort(), ['haiku', 'opus']);
  });

  test('the new read routes: head, tree and cost keep hidden threads out, check their arguments', async () => {
    const head = await api(server.url, tokens.bob, `/v1/threads/${main}/info`);
    assert.equal(head.status, 200);
    assert.ok(!JSON.stringify(head.body).includes(hiddenChild), 'the head names the private sub-agent');
    assert.deepEqual((head.body as { childThreadIDs: string[] }).childThreadIDs, [shared]);
    const mine = await api(server.url, tokens.alice, `/v1/threads/${main}/info`);
    assert.deepEqual((mine.body as { childThreadIDs: string[] }).childThreadIDs.sort(), [shared, hiddenChild].sort());
    for (const route of ['info', 'tree', 'usage']) {
      assert.equal((await api(server.url, tokens.bob, `/v1/threads/${secret}/${route}`)).status, 404, route);
      assert.equal((await api(server.url, undefined, `/v1/threads/${main}/${route}`)).status, 401, route);
      assert.equal((await api(server.url, tokens.bob, `/v1/threads/T-nope/${route}`)).status, 400, route);
    }
    const bad = await api(server.url, tokens.bob, `/v1/threads/${main}/usage?tree=maybe`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /tree/);
  });

  test('a refused token is a tool error naming it, and the MCP server keeps answering', async () => {
    const wrong = await mcpClient(['--remote', server.url, '--token', 'not-a-token']);
    try {
      for (const [tool, a] of [['list_threads', {}], ['search_threads', { query: 'x' }], ['read_thread', { threadId: main }], ['thread_tree', { threadId: main }]] as const) {
        const r = await wrong.call(tool, a);
        assert.equal(r.isError, true, tool);
        assert.match(text(r), /^UNAUTHORIZED: server: invalid token/, tool);
      }
    } finally {
      await wrong.close();
    }
  });
});

describe('skein mcp --remote against a failing or wrong server', () => {
  let http: Server;
  let url: string;
  let client: Awaited<ReturnType<typeof mcpClient>>;
  before(async () => {
    // A real HTTP server on loopback standing in for a server in trouble: 503 for lists, a
    // malformed answer for search.
    http = createServer((req, res) => {
      if (req.url?.startsWith('/v1/threads?')) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
        res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the database is unavailable' } }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results: [{ threadId: 'nope' }] }));
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    client = await mcpClient(['--remote', url, '--token', 't']);
  });
  after(async () => {
    await client?.close();
    await new Promise((r) => http?.close(r));
  });

  test('503, a malformed answer and an unreachable server are tool errors', async () => {
    const down = await client.call('list_threads', {});
    assert.equal(down.isError, true);
    assert.match(text(down), /^SERVER: server: the database is unavailable/);
    const malformed = await client.call('search_threads', { query: 'x' });
    assert.equal(malformed.isError, true);
    assert.match(text(malformed), /^SERVER: the server's answer is not search results: results\.0\.threadId/);
    await new Promise((r) => http.close(r));
    http.closeAllConnections();
    const gone = await client.call('list_threads', {});
    assert.equal(gone.isError, true);
    assert.match(text(gone), /^NETWORK: /);
  });

  test('bad use of the command line is one clear line', async () => {
    const { skein } = await import('../helpers/cli.js');
    for (const [args, message] of [
      [['mcp', '--remote', url], /--token.*SKEIN_TOKEN/],
      [['mcp', '--remote', 'ftp://x', '--token', 't'], /--remote.*http/],
      [['mcp', '--token', 't'], /--token.*--remote/],
    ] as const) {
      const r = await skein([...args]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
