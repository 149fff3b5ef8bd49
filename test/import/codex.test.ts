import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTranscripts, openStore, type Store, type Thread } from '../../src/index.js';

const ID = '019982b8-1111-7222-8333-444455556666';
const CHILD = '019982b8-9999-7222-8333-444455556666';
let t = Date.parse('2025-09-25T21:12:14.114Z');
const line = (type: string, payload: Record<string, unknown>) => JSON.stringify({ timestamp: new Date((t += 1000)).toISOString(), type, payload });
const tokens = (input: number, cached: number, output: number, last?: [number, number, number]) =>
  line('event_msg', {
    type: 'token_count',
    info: {
      total_token_usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: 0, total_tokens: input + output },
      ...(last && { last_token_usage: { input_tokens: last[0], cached_input_tokens: last[1], output_tokens: last[2], reasoning_output_tokens: 0, total_tokens: last[0] + last[2] } }),
      model_context_window: 272000,
    },
    rate_limits: { primary_used_percent: 3.0, secondary_used_percent: 1.0 },
  });

function rollout(): string[] {
  return [
    line('session_meta', { id: ID, timestamp: '2025-09-25T21:12:14.114Z', cwd: '/Users/me/proj', originator: 'codex_cli_rs', cli_version: '0.40.0', instructions: null, git: { commit_hash: 'abc', branch: 'feature/x', repository_url: 'git@x:y.git' } }),
    line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/Users/me/proj</cwd>\n</environment_context>' }] }),
    line('turn_context', { cwd: '/Users/me/proj', approval_policy: 'on-request', sandbox_policy: { mode: 'workspace-write' }, model: 'gpt-5-codex', effort: 'medium', summary: 'auto' }),
    line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files please' }] }),
    line('event_msg', { type: 'user_message', message: 'List the files please', images: [] }),
    // 0.40: the count is written before the call's items; no last_token_usage here (older shape)
    tokens(1000, 800, 50),
    line('response_item', { type: 'reasoning', summary: [{ type: 'summary_text', text: '**Listing files**' }], content: null, encrypted_content: 'gAAA' }),
    line('response_item', { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'call_1' }),
    line('response_item', { type: 'function_call', name: 'shell', arguments: '{"command":["false"]}', call_id: 'call_2' }),
    // parallel outputs in the other order; one JSON-with-exit-code, one sandbox failure text
    line('response_item', { type: 'function_call_output', call_id: 'call_2', output: 'failed in sandbox MacosSeatbelt with execution error: denied' }),
    line('response_item', { type: 'function_call_output', call_id: 'call_1', output: '{"output":"a.txt\\nb.txt\\n","metadata":{"exit_code":0,"duration_seconds":0.0}}' }),
    tokens(2500, 1800, 120, [1500, 1000, 70]),
    line('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Two files: a.txt and b.txt.' }] }),
    line('event_msg', { type: 'agent_message', message: 'Two files: a.txt and b.txt.' }),
    line('event_msg', { type: 'brand_new_event', stuff: 1 }),
    line('compacted', { message: 'Summary of the work so far: listed files.' }),
  ];
}

async function thread(store: Store, key: string): Promise<Thread> {
  const { threads } = await store.listThreads({ limit: 100 });
  const h = threads.find((x) => x.meta?.importKey === key);
  assert.ok(h, `no thread ${key}`);
  return (await store.getThread(h.id))!;
}

describe('codex import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-codex-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a rollout: context vs prompt, calls paired by call_id with errors, per-turn usage from cumulative counts, sub-agents, compaction', async () => {
    const day = join(dir, 'sessions', '2025', '09', '25');
    mkdirSync(day, { recursive: true });
    const file = join(day, `rollout-2025-09-25T15-12-14-${ID}.jsonl`);
    writeFileSync(file, rollout().join('\n') + '\n');
    writeFileSync(
      join(day, `rollout-2025-09-25T15-20-00-${CHILD}.jsonl`),
      [
        line('session_meta', { id: CHILD, cwd: '/Users/me/proj', cli_version: '0.140.0', source: { subagent: { thread_spawn: { parent_thread_id: ID, parent_turn_id: 't1', depth: 1, agent_nickname: 'scout' } } }, thread_source: 'subagent' }),
        line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'scout the repo' }] }),
      ].join('\n') + '\n',
    );
    const store = await openStore({ dir: ':memory:' });
    const r = await importTranscripts(store, { source: 'codex', paths: [join(dir, 'sessions')] });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.threads.created, 3);
    const th = await thread(store, `codex:${ID}`);
    assert.equal(th.title, 'List the files please');
    assert.equal(th.env?.cwd, '/Users/me/proj');
    assert.deepEqual(th.meta?.source, { agent: 'codex', sessionId: ID, file, version: '0.40.0' });
    assert.equal(th.meta?.gitBranch, 'feature/x');
    assert.equal(th.meta?.model, 'gpt-5-codex');
    assert.deepEqual(th.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'user', 'assistant']);
    assert.equal(th.messages[2]!.thinking, '**Listing files**');
    assert.deepEqual(th.messages[2]!.toolCalls!.map((c) => [c.id, c.input]), [['call_1', { command: ['ls'] }], ['call_2', { command: ['false'] }]]);
    const results = th.messages.filter((m) => m.toolResults).map((m) => m.toolResults![0]!);
    assert.deepEqual(results.map((x) => [x.toolCallId, x.isError ?? false]), [['call_2', true], ['call_1', false]]);
    // turn 1: totals 1000/800/50 -> 200 uncached in, 800 cached, 50 out; turn 2: the last_* figure
    const usages = th.messages.filter((m) => m.resourceUsage).map((m) => m.resourceUsage!);
    assert.deepEqual(usages.map((u) => [u.model, u.inputTokens, u.cacheReadTokens, u.outputTokens]), [['gpt-5-codex', 200, 800, 50], ['gpt-5-codex', 500, 1000, 70]]);
    const total = await store.usage(th.id);
    assert.equal(total.outputTokens, 120);
    assert.ok(total.costUSD > 0);
    assert.equal(th.meta?.costEstimated, true);
    assert.equal(th.summaryThreadIDs.length, 1);
    const child = await thread(store, `codex:${CHILD}`);
    assert.equal(child.mainThreadID, th.id);
    assert.deepEqual(th.childThreadIDs, [child.id]);

    // grown file: only the new lines; cumulative counts keep working across imports
    appendFileSync(file, [line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'thanks' }] }), tokens(4000, 2000, 200), line('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'welcome' }] })].join('\n') + '\n');
    const r2 = await importTranscripts(store, { source: 'codex', paths: [join(dir, 'sessions')] });
    assert.equal(r2.messages, 2);
    assert.equal((await store.usage(th.id)).outputTokens, 200);
    const again = await importTranscripts(store, { source: 'codex', paths: [join(dir, 'sessions')] });
    assert.equal(again.messages, 0);
    assert.equal(again.threads.created + again.threads.updated, 0);
    await store.close();
  });

  it('reads the bare era (un-enveloped lines) and reports a compressed rollout', async () => {
    const id = '01990000-aaaa-7bbb-8ccc-dddddddddddd';
    const old = join(dir, 'old');
    mkdirSync(old, { recursive: true });
    writeFileSync(
      join(old, `rollout-2025-08-01T10-00-00-${id}.jsonl`),
      [
        JSON.stringify({ id, timestamp: '2025-08-01T10:00:00Z', instructions: null, git: { branch: 'main' } }),
        JSON.stringify({ record_type: 'state' }),
        JSON.stringify({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'old prompt' }] }),
        JSON.stringify({ type: 'function_call', name: 'shell', arguments: '{"command":["pwd"]}', call_id: 'c1' }),
        JSON.stringify({ type: 'function_call_output', call_id: 'c1', output: 'Exit code: 2\nWall time: 0.1s\nOutput:\nnope' }),
      ].join('\n') + '\n',
    );
    writeFileSync(join(old, `rollout-2026-01-01T10-00-00-${CHILD}.jsonl.zst`), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    const store = await openStore({ dir: ':memory:' });
    const r = await importTranscripts(store, { source: 'codex', paths: [old] });
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0]!.reason, /zstd/);
    const th = await thread(store, `codex:${id}`);
    assert.equal(th.title, 'old prompt');
    assert.equal(th.meta?.gitBranch, 'main');
    assert.deepEqual(th.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal(th.messages[2]!.toolResults![0]!.isError, true);
    await store.close();
  });
});
