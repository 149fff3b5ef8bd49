import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openStore, type ThreadID } from '../../src/index.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';
import { billingConversation } from '../helpers/mcp-fixture.js';

type Answer = { content: { type: string; text: string }[]; isError?: boolean };

describe('skein mcp: the MCP SDK client over a real stdio child process', () => {
  const dir = tempDir('mcp');
  let client: Client;
  let main: ThreadID;
  let child: ThreadID;
  let clock = Date.UTC(2024, 0, 1);
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Answer;
  const text = (a: Answer) => a.content.map((c) => c.text).join('\n');

  before(async () => {
    const store = await openStore({ dir, now: () => clock });
    const t = await store.createThread({ title: 'Migrate the billing cron', env: { cwd: '/srv/billing' } });
    main = t.id;
    await store.append(main, billingConversation());
    child = (await store.spawnSubAgentThread(main, 'Find every caller of the invoice job')).id;
    await store.append(child, { type: 'assistant:message', message: { content: 'found 3 callers', resourceUsage: { model: 'haiku', costUSD: 0.001 } } });
    const old = await store.createThread({ title: 'ancient archaeology' });
    await store.append(old.id, { type: 'user:message', message: { content: 'pottery shards' } });
    clock += 90 * 86_400_000;
    await store.append(main, { type: 'user:message', message: { content: 'still here' } });
    await store.append(child, { type: 'user:message', message: { content: 'still here' } });
    assert.equal((await store.archiveInactiveThreads({ olderThanMs: 30 * 86_400_000 })).archived.length, 1);
    await store.close();

    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--dir', dir], stderr: 'pipe' });
    client = new Client({ name: 'skein-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lists its five read-only tools', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['list_threads', 'read_thread', 'search_threads', 'thread_cost', 'thread_tree']);
    for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, t.name);
  });

  test('search_threads finds messages, tool inputs and archived threads', async () => {
    const r = JSON.parse(text(await call('search_threads', { query: 'invoice*' }))) as { results: { threadId: string; messageId: string | null; snippet: string }[] };
    assert.ok(r.results.length >= 3);
    assert.ok(r.results.some((x) => x.threadId === child));
    const path = JSON.parse(text(await call('search_threads', { query: 'deploy/crontab' }))) as { results: { threadId: string }[] };
    assert.deepEqual(path.results.map((x) => x.threadId), [main]);
    const cold = JSON.parse(text(await call('search_threads', { query: 'pottery' }))) as { results: { archived: boolean }[] };
    assert.deepEqual(cold.results.map((x) => x.archived), [true]);
    const paged = JSON.parse(text(await call('search_threads', { query: 'step', limit: 10 }))) as { results: unknown[]; nextCursor?: string };
    assert.equal(paged.results.length, 10);
    const next = JSON.parse(text(await call('search_threads', { query: 'step', limit: 50, cursor: paged.nextCursor }))) as { results: unknown[] };
    assert.equal(next.results.length, 20);
  });

  test('read_thread pages: the newest N, a range, long tool output trimmed with a marker', async () => {
    const newest = text(await call('read_thread', { threadId: main, newest: 2 }));
    assert.match(newest, /messages 32\.\.33 of 34/);
    assert.match(newest, /#33 \[user\][^\n]*\nstill here/);
    assert.match(newest, /older: from=30 to=32/);
    const range = text(await call('read_thread', { threadId: main, from: 0, to: 3 }));
    assert.match(range, /#0 \[user\][^\n]*\nMove the nightly invoice job/);
    assert.match(range, /→ tool call read_file \(c1\): \{"path":"deploy\/crontab"\}/);
    assert.match(range, /← tool result \(c1\): 0 2 \* \* \* invoices x+… \[trimmed: 3019 of 5019 characters not shown\]/);
    assert.doesNotMatch(range, /step 0/);
    const wide = text(await call('read_thread', { threadId: main, from: 0, to: 3, maxToolChars: 10000 }));
    assert.doesNotMatch(wide, /trimmed/);
    const archivedId = JSON.parse(text(await call('list_threads', {}))).threads.find((t: { archived?: boolean }) => t.archived).id as string;
    assert.match(text(await call('read_thread', { threadId: archivedId })), /\(archived\)[\s\S]*pottery shards/);
  });

  test('list_threads, thread_tree and thread_cost', async () => {
    const list = JSON.parse(text(await call('list_threads', { limit: 2 }))) as { threads: { id: string; kind: string }[]; nextCursor?: string };
    assert.equal(list.threads.length, 2);
    assert.ok(list.nextCursor);
    const tree = JSON.parse(text(await call('thread_tree', { threadId: main }))) as { id: string; children: { id: string; kind: string }[] };
    assert.equal(tree.id, main);
    assert.deepEqual(tree.children.map((c) => [c.id, c.kind]), [[child, 'subagent']]);
    const cost = JSON.parse(text(await call('thread_cost', { threadId: main, tree: true }))) as { costUSD: number; byModel: Record<string, unknown> };
    assert.ok(Math.abs(cost.costUSD - 0.021) < 1e-9, String(cost.costUSD));
    assert.deepEqual(Object.keys(cost.byModel).sort(), ['haiku', 'opus']);
  });

  test('bad arguments are tool errors, and the server keeps answering', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['read_thread', { threadId: 'nope' }, /VALIDATION/],
      ['read_thread', { threadId: 'T-00000000-0000-7000-8000-000000000000' }, /NOT_FOUND/],
      ['read_thread', { threadId: main, newest: -1 }, /newest/],
      ['read_thread', { threadId: main, newest: 2, from: 1 }, /either newest or from\/to/],
      ['read_thread', {}, /threadId/],
      ['search_threads', {}, /query/],
      ['search_threads', { query: '"unclosed' }, /VALIDATION: query/],
      ['search_threads', { query: 'x', cursor: 'bad' }, /cursor/],
      ['search_threads', { query: 'x', limit: 'ten' }, /limit/],
      ['thread_cost', { threadId: 42 }, /threadId/],
      ['no_such_tool', {}, /no_such_tool/],
    ];
    for (const [name, args, message] of cases) {
      const a = await call(name, args);
      assert.equal(a.isError, true, `${name} ${JSON.stringify(args)}: ${text(a)}`);
      assert.match(text(a), message);
    }
    assert.equal(JSON.parse(text(await call('list_threads', {}))).threads.length, 3);
  });
});
