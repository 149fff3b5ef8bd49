/**
 * The `skein` command line end to end: the built executable run as a child process against
 * stores in temporary directories, checked through its JSON output and exit codes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Message, MessagePage, Op, Thread, ThreadInfo, UsageReport, UsageTotals } from '../../src/index.js';
import type { CostTree } from '../../src/cli/cost-tree.js';
import { skein, skeinJson, type CliRun } from '../helpers/cli.js';

type Page = MessagePage & { atVersion?: number };
type Log = { id: string; ops: Op[] };
type List = { threads: ThreadInfo[]; nextCursor?: string };
type CostJson = UsageReport & { id: string; tree: boolean };

let root: string;
let n = 0;
/** A fresh store directory (not yet created: `init` or `new` makes it). */
function freshDir(): string {
  return join(root, `store-${++n}`);
}

/** A failed run: the expected exit code, nothing on stdout, one `skein: ` line on stderr, no stack. */
function assertFailure(run: CliRun, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  assert.equal(run.stdout, '');
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0]!, /^skein: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

function sum(usages: { [k: string]: unknown }[], field: keyof UsageTotals): number {
  return usages.reduce((s, u) => s + ((u[field] as number | undefined) ?? 0), 0);
}

function assertCost(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'skein-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('skein command line', () => {
  test('init creates the store named by SKEIN_HOME and says where; a second init keeps it', async () => {
    const home = freshDir();
    const first = await skeinJson<{ dir: string; created: boolean }>(['init'], { env: { SKEIN_HOME: home } });
    assert.deepEqual(first, { dir: home, created: true });
    assert.ok(existsSync(join(home, 'skein.db')));
    const again = await skein(['init', '--dir', home]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`already in ${home}`));
  });

  test('new, append by flag and by stdin, show with pages, log and show --at', async () => {
    const dir = freshDir();
    const created = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'Fix login', '--meta', 'team=web', '--meta', 'ticket=42', '--cwd', 'work']);
    const id = created.id;
    assert.equal(created.title, 'Fix login');
    assert.deepEqual(created.meta, { team: 'web', ticket: '42' });
    assert.equal(created.env?.cwd, resolve('work'));

    const calls = [{ id: 'c1', name: 'read_file', input: { path: 'src/login.ts' } }];
    const usage = { model: 'm-large', inputTokens: 1200, outputTokens: 80, costUSD: 0.0048 };
    await skeinJson(['append', id, '--dir', dir, '--role', 'user', '--content', 'the login test is flaky']);
    // Content from stdin: the final newline of the pipe is not part of the message.
    const viaStdin = await skeinJson<{ v: number; message: Message }>(
      ['append', id, '--dir', dir, '--role', 'assistant', '--usage', JSON.stringify(usage), '--tool-calls', JSON.stringify(calls)],
      { input: 'Reading the handler.\nOne moment.\n' },
    );
    assert.equal(viaStdin.v, 3);
    assert.equal(viaStdin.message.content, 'Reading the handler.\nOne moment.');
    assert.equal(viaStdin.message.role, 'assistant');
    await skeinJson(['append', id, '--dir', dir, '--role', 'user', '--content', '', '--tool-results', JSON.stringify([{ toolCallId: 'c1', output: 'export function login() {}' }])]);
    await skeinJson(['append', id, '--dir', dir, '--role', 'assistant', '--content', 'Found it.', '--expected-version', '4']);

    const [all, newest, oldest, log, past, human] = await Promise.all([
      skeinJson<Page>(['show', id, '--dir', dir]),
      skeinJson<Page>(['show', id, '--dir', dir, '--limit', '2']),
      skeinJson<Page>(['show', id, '--dir', dir, '--limit', '2', '--offset', '2']),
      skeinJson<Log>(['log', id, '--dir', dir]),
      skeinJson<Page>(['show', id, '--dir', dir, '--at', '2']),
      skein(['show', id, '--dir', dir]),
    ]);
    assert.deepEqual(
      all.messages.map((m) => m.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    assert.equal(all.totalMessages, 4);
    assert.equal(all.v, 5);
    const [m0, m1, m2, m3] = all.messages;
    assert.equal(m0!.content, 'the login test is flaky');
    assert.deepEqual(m1!.toolCalls, calls);
    assert.deepEqual(m1!.resourceUsage, usage);
    assert.equal(m2!.toolResults?.[0]?.toolCallId, 'c1');

    assert.deepEqual(newest.messages.map((m) => m.id), [m2!.id, m3!.id]);
    assert.equal(newest.hasMore, true);
    assert.equal(newest.hasNewer, false);
    assert.deepEqual(oldest.messages.map((m) => m.id), [m0!.id, m1!.id]);
    assert.equal(oldest.hasMore, false);
    assert.equal(oldest.hasNewer, true);
    const before = await skeinJson<Page>(['show', id, '--dir', dir, '--before', m2!.id, '--limit', '1']);
    assert.deepEqual(before.messages.map((m) => m.id), [m1!.id]);
    assert.equal(before.hasMore, true);

    assert.deepEqual(
      log.ops.map((o) => [o.v, o.type]),
      [
        [1, 'thread:create'],
        [2, 'user:message'],
        [3, 'assistant:message'],
        [4, 'user:message'],
        [5, 'assistant:message'],
      ],
    );
    const tail = await skeinJson<Log>(['log', id, '--dir', dir, '--from', '3']);
    assert.deepEqual(tail.ops.map((o) => o.v), [4, 5]);

    assert.equal(past.v, 2);
    assert.equal(past.atVersion, 2);
    assert.deepEqual(past.messages.map((m) => m.content), ['the login test is flaky']);

    assert.equal(human.code, 0);
    assert.match(human.stdout, /^Fix login {2}T-/);
    assert.match(human.stdout, /\[assistant\].*m-large · 1,200 in · 80 out · \$0\.0048/);
    assert.match(human.stdout, /→ read_file \{"path":"src\/login\.ts"\} {2}\(c1\)/);
  });

  test('spawn, summarize, tree and cost add up the usage that was appended', async () => {
    const dir = freshDir();
    const main = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'Parent']);
    const mainUsage = [
      { model: 'm-large', inputTokens: 1000, outputTokens: 200, cacheWriteTokens: 900, costUSD: 0.006 },
      { model: 'm-small', inputTokens: 500, outputTokens: 100, costUSD: 0.0007 },
    ];
    const childUsage = [{ model: 'm-small', inputTokens: 300, outputTokens: 50, cacheReadTokens: 1000, costUSD: 0.0004 }];
    for (const u of mainUsage) await skeinJson(['append', main.id, '--dir', dir, '--role', 'assistant', '--content', 'step', '--usage', JSON.stringify(u)]);
    const child = await skeinJson<Thread>(['spawn', main.id, '--dir', dir, '--task', 'check the CI logs', '--title', 'CI logs']);
    assert.equal(child.mainThreadID, main.id);
    assert.deepEqual(
      child.messages.map((m) => [m.role, m.content]),
      [['user', 'check the CI logs']],
    );
    for (const u of childUsage) await skeinJson(['append', child.id, '--dir', dir, '--role', 'assistant', '--content', 'done', '--usage', JSON.stringify(u)]);
    const summary = await skeinJson<Thread>(['summarize', main.id, '--dir', dir], { input: 'Two steps, one sub-agent.' });
    assert.equal(summary.originThreadID, main.id);
    assert.deepEqual(
      summary.messages.map((m) => [m.role, m.content]),
      [['assistant', 'Two steps, one sub-agent.']],
    );

    const [tree, own, whole, byDay, humanTree, humanCost] = await Promise.all([
      skeinJson<CostTree>(['tree', main.id, '--dir', dir]),
      skeinJson<CostJson>(['cost', main.id, '--dir', dir]),
      skeinJson<CostJson>(['cost', main.id, '--dir', dir, '--tree', '--by', 'model']),
      skeinJson<CostJson>(['cost', main.id, '--dir', dir, '--tree', '--by', 'day']),
      skein(['tree', main.id, '--dir', dir]),
      skein(['cost', main.id, '--dir', dir, '--tree', '--by', 'model']),
    ]);
    const everything = [...mainUsage, ...childUsage];
    const small = everything.filter((u) => u.model === 'm-small');

    assert.equal(tree.tree.id, main.id);
    assert.deepEqual(tree.tree.children.map((c) => c.id), [child.id]);
    assert.deepEqual(tree.tree.summaries.map((s) => s.id), [summary.id]);
    assertCost(tree.tree.usage.costUSD, sum(mainUsage, 'costUSD'), 'main thread cost');
    assertCost(tree.tree.children[0]!.usage.costUSD, sum(childUsage, 'costUSD'), 'sub-agent cost');
    assert.equal(tree.tree.summaries[0]!.usage.costUSD, 0);
    assertCost(tree.total.costUSD, sum(everything, 'costUSD'), 'tree total');

    assertCost(own.costUSD, sum(mainUsage, 'costUSD'), 'cost without --tree');
    assert.equal(own.inputTokens, sum(mainUsage, 'inputTokens'));
    assert.equal(whole.threads, 3);
    assert.equal(whole.inputTokens, sum(everything, 'inputTokens'));
    assert.equal(whole.cacheReadTokens, sum(everything, 'cacheReadTokens'));
    assert.deepEqual(Object.keys(whole.byModel).sort(), ['m-large', 'm-small']);
    assert.equal(whole.byModel['m-small']!.inputTokens, sum(small, 'inputTokens'));
    assert.equal(whole.byModel['m-small']!.outputTokens, sum(small, 'outputTokens'));
    assertCost(whole.byModel['m-small']!.costUSD, sum(small, 'costUSD'), 'm-small cost');
    assert.equal(Object.keys(byDay.byDay ?? {}).length, 1);
    assertCost(Object.values(byDay.byDay ?? {})[0]!.costUSD, sum(everything, 'costUSD'), 'one day');

    const fmt = (usd: number) => `$${usd.toFixed(4)}`;
    assert.match(humanTree.stdout, new RegExp(`├── CI logs {2}\\[sub-agent\\] {2}${child.id} {2}2 msgs {2}\\${fmt(sum(childUsage, 'costUSD'))}`));
    assert.match(humanTree.stdout, new RegExp(`└── \\(untitled\\) {2}\\[summary\\] {2}${summary.id}`));
    assert.match(humanTree.stdout, new RegExp(`total \\${fmt(sum(everything, 'costUSD'))} over 3 threads`));
    assert.match(humanCost.stdout, new RegExp(`m-small .*\\${fmt(sum(small, 'costUSD'))}`));
  });

  test('ls pages with a cursor and lists each thread once, even when threads change between pages', async () => {
    const dir = freshDir();
    await skeinJson(['init', '--dir', dir]);
    // Five processes writing to one store at once, as several agents on one machine do.
    const made = await Promise.all([0, 1, 2, 3, 4].map((i) => skeinJson<Thread>(['new', '--dir', dir, '--title', `thread ${i}`])));
    const ids = made.map((t) => t.id);

    const first = await skeinJson<List>(['ls', '--dir', dir, '--limit', '2']);
    assert.equal(first.threads.length, 2);
    assert.ok(first.nextCursor);
    // Activity after the first page: an older thread moves to the top and a new thread appears.
    const moved = ids.find((id) => !first.threads.some((t) => t.id === id))!;
    await skeinJson(['append', moved, '--dir', dir, '--role', 'user', '--content', 'bump']);
    const late = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'late']);

    const seen = first.threads.map((t) => t.id);
    let cursor: string | undefined = first.nextCursor;
    let pages = 1;
    while (cursor !== undefined) {
      const page: List = await skeinJson<List>(['ls', '--dir', dir, '--limit', '2', '--cursor', cursor]);
      seen.push(...page.threads.map((t) => t.id));
      cursor = page.nextCursor;
      pages += 1;
    }
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...ids].sort(), 'every thread of the first page\'s snapshot, once');

    const [everything, human] = await Promise.all([skeinJson<List>(['ls', '--dir', dir, '--all', '--limit', '2']), skein(['ls', '--dir', dir, '--limit', '2'])]);
    assert.deepEqual(everything.threads.map((t) => t.id).sort(), [...ids, late.id].sort());
    assert.equal(everything.nextCursor, undefined);
    assert.match(human.stdout, /^ID +KIND +MSGS +V +UPDATED +TITLE/);
    assert.match(human.stdout, /more: skein ls --cursor \S+ --dir /);
  });

  test('errors print one line, exit 2 for bad usage and 1 otherwise, and change nothing', async () => {
    const dir = freshDir();
    const { id } = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'untouched']);
    await skeinJson(['append', id, '--dir', dir, '--role', 'user', '--content', 'hi']);
    const opsBefore = (await skeinJson<Log>(['log', id, '--dir', dir])).ops.length;
    const unknownId = 'T-01900000-0000-7000-8000-000000000000';
    const missing = join(root, 'no-store-here');
    const user = ['--dir', dir, '--role', 'user', '--content', 'x'];

    const cases: [string[], number, RegExp, string?][] = [
      [['show', unknownId, '--dir', dir], 1, /thread T-01900000-0000-7000-8000-000000000000 not found/],
      [['append', unknownId, ...user], 1, /not found/],
      [['append', id, ...user, '--usage', '{"model": "m",'], 2, /--usage: not valid JSON/],
      [['append', id, ...user, '--usage', '{"inputTokens": -5}'], 2, /--usage inputTokens/],
      [['append', id, ...user, '--tool-calls', '{"id": "c1"}'], 2, /--tool-calls/],
      [['show', id, '--dir', dir, '--frobnicate'], 2, /unknown option --frobnicate/],
      [['append', id, '--dir', dir, '--role', 'robot', '--content', 'x'], 2, /--role: must be one of user, assistant, system/],
      [['append', id, '--dir', dir, '--content', 'x'], 2, /--role: is required/],
      [['append', '--dir', dir, '--role', 'user', '--content', 'x'], 2, /missing thread ID/],
      [['append', 'not-an-id', ...user], 2, /not a thread id/],
      [['show', id, '--dir', dir, '--limit', 'ten'], 2, /--limit: must be an integer/],
      [['show', id, '--dir', dir, '--at', '99'], 2, /--at: /],
      [['append', id, ...user, '--expected-version', '1'], 1, /is at version 2, not 1/],
      [['append', id, '--dir', dir, '--role', 'user'], 2, /--content: is required: stdin was empty/],
      [['ls', '--dir', missing], 1, /no skein store in/],
      [['frobnicate', '--dir', dir], 2, /unknown command "frobnicate"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => skein(args)));
    runs.forEach((run, i) => assertFailure(run, cases[i]![1], cases[i]![2]));

    const [log, list] = await Promise.all([skeinJson<Log>(['log', id, '--dir', dir]), skeinJson<List>(['ls', '--dir', dir, '--all'])]);
    assert.equal(log.ops.length, opsBefore, 'no op was written');
    assert.deepEqual(list.threads.map((t) => t.id), [id], 'no thread was made');
    assert.equal(existsSync(missing), false, 'a read does not create a store');
  });

  test('demo plays a priced session with two sub-agents and a summary into the store', async () => {
    const dir = freshDir();
    const demo = await skeinJson<CostTree & { dir: string; threads: { main: string; subAgents: string[]; summary: string } }>(['demo', '--dir', dir]);
    assert.equal(demo.dir, dir);
    assert.equal(demo.tree.id, demo.threads.main);
    assert.equal(demo.tree.title, 'Fix flaky login test');
    assert.deepEqual(demo.tree.children.map((c) => c.id), demo.threads.subAgents);
    assert.equal(demo.tree.children.length, 2);
    assert.deepEqual(demo.tree.summaries.map((s) => s.id), [demo.threads.summary]);
    assert.ok(demo.total.costUSD > 0);
    assert.equal(demo.total.threads, 4);
    for (const c of demo.tree.children) assert.ok(c.usage.costUSD > 0, `sub-agent ${c.id} has a cost`);
    const parts = [demo.tree, ...demo.tree.children, ...demo.tree.summaries].reduce((s, n) => s + n.usage.costUSD, 0);
    assertCost(demo.total.costUSD, parts, 'total of the per-thread costs');

    const { MODEL_PRICES } = await import('../../src/cli/demo-session.js');
    const [main, sub, related] = await Promise.all([
      skeinJson<Page>(['show', demo.threads.main, '--dir', dir, '--limit', '1000']),
      skeinJson<Page>(['show', demo.threads.subAgents[0]!, '--dir', dir]),
      skeinJson<List>(['ls', '--dir', dir, '--all']),
    ]);
    assert.equal(related.threads.length, 4);
    for (const thread of [main, sub]) {
      const assistants = thread.messages.filter((m) => m.role === 'assistant');
      assert.ok(assistants.length >= 3);
      for (const m of assistants) {
        const u = m.resourceUsage!;
        const price = MODEL_PRICES[u.model as keyof typeof MODEL_PRICES];
        assert.ok(price, `a priced model: ${u.model}`);
        const expected = (u.inputTokens! * price.input + u.outputTokens! * price.output + u.cacheReadTokens! * price.cacheRead + u.cacheWriteTokens! * price.cacheWrite) / 1e6;
        assert.ok(Math.abs(u.costUSD! - expected) < 1e-6, `cost of ${m.id} follows the price table`);
      }
      // Every tool call is answered by a later message carrying its result.
      const answered = new Set(thread.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.toolCallId)));
      for (const m of thread.messages) for (const c of m.toolCalls ?? []) assert.ok(answered.has(c.id), `call ${c.id} has a result`);
    }
    const tools = new Set(main.messages.flatMap((m) => (m.toolCalls ?? []).map((c) => c.name)));
    for (const name of ['read_file', 'edit_file', 'run_tests']) assert.ok(tools.has(name), `main thread calls ${name}`);
  });

  test('demo without --dir writes to a new temporary store and prints the tree with costs', async () => {
    const run = await skein(['demo']);
    assert.equal(run.code, 0, run.stderr);
    const dir = /^demo store: (.+)$/m.exec(run.stdout)?.[1];
    assert.ok(dir, 'names its store');
    try {
      assert.ok(resolve(dir).startsWith(resolve(tmpdir())));
      assert.ok(existsSync(join(dir, 'skein.db')));
      assert.match(run.stdout, /Fix flaky login test {2}\[main\]/);
      assert.equal((run.stdout.match(/\[sub-agent\]/g) ?? []).length, 2);
      assert.match(run.stdout, /└── .*\[summary\]/);
      assert.match(run.stdout, /total \$0\.\d{4} over 4 threads/);
      assert.doesNotMatch(run.stdout, /total \$0\.0000/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('help and version', async () => {
    const [help, showHelp, helpShow, version] = await Promise.all([skein(['--help']), skein(['show', '--help']), skein(['help', 'show']), skein(['--version'])]);
    for (const r of [help, showHelp, helpShow, version]) assert.equal(r.code, 0);
    for (const name of ['init', 'new', 'append', 'ls', 'show', 'log', 'tree', 'spawn', 'summarize', 'cost', 'demo']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.equal(showHelp.stdout, helpShow.stdout);
    assert.match(showHelp.stdout, /--before MSGID/);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });
});
