import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTranscripts, openStore, type Store, type Thread } from '../../src/index.js';

type Obj = Record<string, unknown>;

async function thread(store: Store, key: string): Promise<Thread> {
  const { threads } = await store.listThreads({ limit: 100 });
  const h = threads.find((x) => x.meta?.importKey === key);
  assert.ok(h, `no thread ${key}`);
  return (await store.getThread(h.id))!;
}

describe('cline import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-cline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const TASK = '1760000000000';
  const api = (): Obj[] => [
    { role: 'user', content: [{ type: 'text', text: '<task>\nRename the helper\n</task>' }], ts: 1760000000100 },
    { role: 'assistant', content: [{ type: 'text', text: 'I will search.' }, { type: 'tool_use', id: 'toolu_s', name: 'search_files', input: { regex: 'helper' } }], ts: 1760000000200, modelInfo: { modelId: 'claude-sonnet-4-5', providerId: 'anthropic' } },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_s', content: 'no access', is_error: true }], ts: 1760000000300 },
    // XML tool calling (2025 default): the call is text, the result a user text block
    { role: 'assistant', content: [{ type: 'text', text: '<read_file>\n<path>a.ts</path>\n</read_file>' }], ts: 1760000000400 },
    { role: 'user', content: [{ type: 'text', text: "[read_file for 'a.ts'] Result: export {}" }], ts: 1760000000500 },
  ];
  const ui = (): Obj[] => [
    { ts: 1760000000050, type: 'say', say: 'task', text: 'Rename the helper' },
    { ts: 1760000000150, type: 'say', say: 'api_req_started', text: JSON.stringify({ request: '...', tokensIn: 1200, tokensOut: 80, cacheWrites: 300, cacheReads: 0, cost: 0.0123 }) },
    { ts: 1760000000350, type: 'say', say: 'api_req_started', text: JSON.stringify({ request: '...', tokensIn: 50, tokensOut: 20, cacheWrites: 0, cacheReads: 1500, cost: 0.002 }) },
    { ts: 1760000000360, type: 'say', say: 'text', text: 'partial', partial: true },
    { ts: 1760000000600, type: 'say', say: 'api_req_started', text: JSON.stringify({ request: 'still running' }) },
  ];
  const write = (a: Obj[], u: Obj[], cut = false) => {
    const t = join(dir, 'saoudrizwan.claude-dev', 'tasks', TASK);
    mkdirSync(t, { recursive: true });
    const text = JSON.stringify(a);
    writeFileSync(join(t, 'api_conversation_history.json'), cut ? text.slice(0, text.length - 40) : text);
    writeFileSync(join(t, 'ui_messages.json'), JSON.stringify(u));
    mkdirSync(join(dir, 'saoudrizwan.claude-dev', 'state'), { recursive: true });
    writeFileSync(join(dir, 'saoudrizwan.claude-dev', 'state', 'taskHistory.json'), JSON.stringify([{ id: TASK, ts: 1760000000000, task: 'Rename the helper', cwdOnTaskInitialization: '/w/app', totalCost: 0.0143 }]));
  };

  it('maps a task: messages, tool pairing with is_error, per-request usage and cost, cwd; rewrites and truncated arrays never double', async () => {
    write(api(), ui());
    const store = await openStore({ dir: ':memory:' });
    const tasks = join(dir, 'saoudrizwan.claude-dev', 'tasks');
    const r = await importTranscripts(store, { source: 'cline', paths: [tasks] });
    assert.deepEqual(r.skipped, []);
    const t = await thread(store, `cline:${TASK}`);
    assert.equal(t.title, 'Rename the helper');
    assert.equal(t.env?.cwd, '/w/app');
    const convo = t.messages.filter((m) => m.kind !== 'api_request');
    assert.equal(convo.length, 5);
    assert.equal(convo[0]!.content, 'Rename the helper');
    assert.deepEqual(convo[1]!.toolCalls, [{ id: 'toolu_s', name: 'search_files', input: { regex: 'helper' } }]);
    assert.deepEqual(convo[2]!.toolResults, [{ toolCallId: 'toolu_s', output: 'no access', isError: true }]);
    const u = await store.usage(t.id);
    assert.equal(u.costUSD, 0.0143);
    assert.equal(u.inputTokens, 1250);
    assert.equal(u.cacheReadTokens, 1500);
    // the request still running waits; now it finishes, the task is re-saved whole, and a cut-short save follows
    const u2 = ui();
    u2[4]!.text = JSON.stringify({ request: 'done', tokensIn: 10, tokensOut: 5, cacheWrites: 0, cacheReads: 0, cost: 0.001 });
    write([...api(), { role: 'assistant', content: [{ type: 'text', text: 'Done.' }], ts: 1760000000700 }], u2);
    const r2 = await importTranscripts(store, { source: 'cline', paths: [tasks] });
    assert.equal(r2.messages, 2);
    write([...api(), { role: 'assistant', content: [{ type: 'text', text: 'Done.' }], ts: 1760000000700 }], u2, true);
    const r3 = await importTranscripts(store, { source: 'cline', paths: [tasks] });
    assert.equal(r3.messages, 0);
    assert.equal(r3.skipped.length, 1);
    assert.match(r3.skipped[0]!.reason, /truncated or malformed JSON array: 5 complete entries imported/);
    assert.equal((await store.usage(t.id)).costUSD, 0.0153);
    await store.close();
  });
});

describe('amp import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-amp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a thread document: title, cwd from the tree uri, tool pairing, usage with credits (ledger too), streaming waits', async () => {
    const id = 'T-019a0000-1111-7222-8333-444455556666';
    const threads = join(dir, 'amp', 'threads');
    mkdirSync(threads, { recursive: true });
    const doc = (last: Obj) => ({
      v: 12,
      id,
      created: 1760000000000,
      title: 'Fix flaky test',
      agentMode: 'smart',
      env: { initial: { trees: [{ uri: 'file:///home/me/my%20app', displayName: 'my app' }], platform: { os: 'linux', client: 'cli', clientVersion: '0.0.1760' } } },
      messages: [
        { role: 'user', messageId: 0, content: [{ type: 'text', text: 'The test is flaky' }], meta: { sentAt: 1760000000100 } },
        {
          role: 'assistant',
          messageId: 1,
          content: [{ type: 'thinking', thinking: 'Check timing', signature: 's', provider: 'anthropic' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { cmd: 'npm t' }, complete: true }],
          state: { type: 'complete', stopReason: 'tool_use' },
          usage: { model: 'claude-sonnet-4-5-20250929', inputTokens: 100, outputTokens: 30, cacheCreationInputTokens: 10, cacheReadInputTokens: 900, totalInputTokens: 1010, timestamp: '2025-10-09T08:53:20.200Z' },
        },
        { role: 'user', messageId: 2, content: [{ type: 'tool_result', toolUseID: 'toolu_1', run: { status: 'error', error: { message: 'exit 1' } } }] },
        { role: 'assistant', messageId: 3, content: [{ type: 'text', text: 'Fixed it.' }], state: { type: 'complete', stopReason: 'end_turn' }, usage: { model: 'claude-sonnet-4-5-20250929', inputTokens: 10, outputTokens: 5, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, credits: 3.5 } },
        last,
      ],
      usageLedger: { events: [{ id: 'e1', timestamp: '2025-10-09T08:53:20.200Z', model: 'claude-sonnet-4-5', credits: 1.25, tokens: { input: 100, output: 30 }, toMessageId: 1 }] },
    });
    const file = join(threads, `${id}.json`);
    writeFileSync(file, JSON.stringify(doc({ role: 'assistant', messageId: 4, content: [{ type: 'text', text: 'Also…' }], state: { type: 'streaming' } })));
    const store = await openStore({ dir: ':memory:' });
    const r = await importTranscripts(store, { source: 'amp', paths: [threads] });
    assert.deepEqual(r.skipped, []);
    const t = await thread(store, `amp:${id}`);
    assert.equal(t.title, 'Fix flaky test');
    assert.equal(t.env?.cwd, '/home/me/my app');
    assert.equal(t.messages.length, 4);
    assert.equal(t.messages[1]!.thinking, 'Check timing');
    assert.deepEqual(t.messages[2]!.toolResults, [{ toolCallId: 'toolu_1', output: 'exit 1', isError: true }]);
    assert.equal(t.messages[1]!.credits, 1.25);
    assert.equal(t.messages[3]!.credits, 3.5);
    assert.equal(t.messages[1]!.costEstimated, true);
    assert.equal((await store.usage(t.id)).outputTokens, 35);
    writeFileSync(file, JSON.stringify(doc({ role: 'assistant', messageId: 4, content: [{ type: 'text', text: 'Also done.' }], state: { type: 'complete' } })));
    const r2 = await importTranscripts(store, { source: 'amp', paths: [threads] });
    assert.equal(r2.messages, 1);
    assert.equal((await thread(store, `amp:${id}`)).messages.at(-1)!.content, 'Also done.');
    await store.close();
  });
});
