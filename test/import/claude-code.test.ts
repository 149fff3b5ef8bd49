import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportThreads, importTranscripts, openStore, type Store, type Thread, type ThreadID } from '../../src/index.js';
import { CWD, SESSION, assistant, jsonl, toolResult, user } from './cc-records.js';

async function text(gen: AsyncGenerator<string>): Promise<string> {
  let s = '';
  for await (const c of gen) s += c;
  return s;
}

async function byImportKey(store: Store, key: string): Promise<Thread> {
  const { threads } = await store.listThreads({ limit: 1000 });
  const h = threads.find((t) => t.meta?.importKey === key);
  assert.ok(h, `no thread for ${key}`);
  return (await store.getThread(h.id))!;
}

/** A session: prompt, a response split over 3 pieces (thinking, text, 2 parallel tool calls), results out of order, a final answer. */
function basicSession(): Record<string, unknown>[] {
  return [
    { type: 'file-history-snapshot', messageId: 'u1', snapshot: { messageId: 'u1', trackedFileBackups: {}, timestamp: '2026-01-05T10:00:00.000Z' }, isSnapshotUpdate: false },
    user('u1', null, 'Fix the failing test in parser.ts\nplease'),
    assistant('a1', 'u1', 'msg_1', 'req_1', { type: 'thinking', thinking: 'Let me look.', signature: 'sig' }, { output_tokens: 1 }),
    assistant('a2', 'a1', 'msg_1', 'req_1', { type: 'text', text: 'Reading both files.' }, { output_tokens: 1 }),
    assistant('a3', 'a2', 'msg_1', 'req_1', { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'a.ts' } }, { output_tokens: 1 }),
    assistant('a4', 'a3', 'msg_1', 'req_1', { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'npm test' } }, { output_tokens: 200 }, {
      message: undefined,
    }),
    toolResult('r2', 'a4', [{ id: 'toolu_2', content: 'Error: 1 failing', isError: true }]),
    toolResult('r1', 'a3', [{ id: 'toolu_1', content: [{ type: 'text', text: 'export const a = 1;' }] }]),
    assistant('a5', 'r1', 'msg_2', 'req_2', { type: 'text', text: 'Fixed.' }, { output_tokens: 50, input_tokens: 20, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 }),
    { type: 'queue-operation', operation: 'enqueue', content: 'also docs', sessionId: SESSION, timestamp: '2026-01-05T10:01:00.000Z' },
    { type: 'brand-new-type', uuid: 'x1', parentUuid: 'a5', sessionId: SESSION, whatever: { nested: true } },
  ].map((l) => {
    // a4 keeps the a3 message shape but its own block and final usage
    if (l.uuid === 'a4') {
      const base = assistant('a4', 'a3', 'msg_1', 'req_1', { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'npm test' } }, { output_tokens: 200 });
      (base.message as Record<string, unknown>).stop_reason = 'tool_use';
      return base;
    }
    return l;
  });
}

describe('claude-code import', () => {
  let dir: string;
  let projects: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-cc-'));
    projects = join(dir, 'projects', '-home-dev-my-project');
    mkdirSync(projects, { recursive: true });
    store = await openStore({ dir: join(dir, 'store') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps a session: counts, pairing by call id with is_error, thinking, title, cwd, source, usage once per response', async () => {
    writeFileSync(join(projects, `${SESSION}.jsonl`), jsonl(basicSession()));
    const r = await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'projects')] });
    assert.deepEqual(r.threads, { created: 1, updated: 0, unchanged: 0 });
    assert.deepEqual(r.skipped, []);
    const t = await byImportKey(store, `claude-code:${SESSION}`);
    // prompt, one merged response, two result messages, final answer
    assert.equal(t.messages.length, 5);
    assert.equal(r.messages, 5);
    const [prompt, response, res2, res1, answer] = t.messages;
    assert.equal(prompt!.role, 'user');
    assert.equal(t.title, 'Fix the failing test in parser.ts');
    assert.equal(t.env?.cwd, CWD);
    assert.deepEqual(t.meta?.source, { agent: 'claude-code', sessionId: SESSION, file: join(projects, `${SESSION}.jsonl`), version: '2.0.42' });
    assert.equal(t.meta?.gitBranch, 'main');
    assert.equal(response!.thinking, 'Let me look.');
    assert.equal(response!.content, 'Reading both files.');
    assert.deepEqual(response!.toolCalls!.map((c) => c.id), ['toolu_1', 'toolu_2']);
    assert.deepEqual(res2!.toolResults, [{ toolCallId: 'toolu_2', output: 'Error: 1 failing', isError: true }]);
    assert.deepEqual(res1!.toolResults, [{ toolCallId: 'toolu_1', output: [{ type: 'text', text: 'export const a = 1;' }] }]);
    // the split response is counted once, its final piece (200 output tokens) winning
    assert.deepEqual(
      { ...response!.resourceUsage, costUSD: undefined },
      { model: 'claude-sonnet-4-5-20250929', inputTokens: 10, outputTokens: 200, cacheReadTokens: 1000, cacheWriteTokens: 100, costUSD: undefined },
    );
    assert.equal(response!.costEstimated, true);
    assert.equal(answer!.content, 'Fixed.');
    const u = await store.usage(t.id);
    assert.equal(u.outputTokens, 250);
    assert.equal(u.inputTokens, 30);
    // 30 in * 3 + 250 out * 15 + 3000 cache read * 0.3 + 100 cache write * 3.75, per million
    assert.equal(u.costUSD, Math.round(((30 * 3 + 250 * 15 + 3000 * 0.3 + 100 * 3.75) / 1e6) * 1e9) / 1e9);
    assert.equal(t.meta?.costEstimated, true);
    // unknown and metadata records are kept verbatim
    const raw = await text(exportThreads(store, t.id, { format: 'raw' }));
    assert.equal(raw.trim().split('\n').length, basicSession().length);
    assert.match(raw, /brand-new-type/);
    assert.match(raw, /queue-operation/);
  });

  it('imports the same files again without changing anything', async () => {
    const t = await byImportKey(store, `claude-code:${SESSION}`);
    // touch the file (same content, new mtime) so that it is really read again
    writeFileSync(join(projects, `${SESSION}.jsonl`), jsonl(basicSession()).replace(/\n$/, '\n'));
    const r = await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'projects')] });
    assert.equal(r.messages, 0);
    assert.equal(r.threads.created + r.threads.updated, 0);
    assert.equal((await store.info(t.id))!.v, t.v);
  });

  it('a grown file imports only its new records; a piece of an already counted response adds only the difference', async () => {
    const file = join(projects, `${SESSION}.jsonl`);
    const t0 = await byImportKey(store, `claude-code:${SESSION}`);
    const more = assistant('a6', 'a5', 'msg_2', 'req_2', { type: 'text', text: 'And the docs.' }, { output_tokens: 80, input_tokens: 20, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 });
    appendFileSync(file, jsonl([more, user('u9', 'a6', 'thanks')]));
    const r = await importTranscripts(store, { source: 'claude-code', paths: [file] });
    assert.deepEqual(r.threads, { created: 0, updated: 1, unchanged: 0 });
    assert.equal(r.messages, 2);
    const t = await byImportKey(store, `claude-code:${SESSION}`);
    assert.equal(t.messages.length, t0.messages.length + 2);
    // msg_2/req_2 counted once: 80 output tokens in all, not 50 + 80
    assert.equal((await store.usage(t.id)).outputTokens, 200 + 80);
  });

  it('a late piece of an older response counts only its difference; a new response counts in full', async () => {
    const sid = '21111111-2222-4333-8444-555555555555';
    const file = join(projects, `${sid}.jsonl`);
    const at = { sessionId: sid };
    writeFileSync(
      file,
      jsonl([
        user('l1', null, 'start', at),
        assistant('l2', 'l1', 'msg_l1', 'req_l1', { type: 'text', text: 'one' }, { output_tokens: 100 }, at),
        toolResult('l3', 'l2', [{ id: 'toolu_l', content: 'ok' }], at),
        assistant('l4', 'l3', 'msg_l2', 'req_l2', { type: 'text', text: 'two' }, { output_tokens: 50 }, at),
      ]),
    );
    await importTranscripts(store, { source: 'claude-code', paths: [file] });
    const t = await byImportKey(store, `claude-code:${sid}`);
    assert.equal((await store.usage(t.id)).outputTokens, 150);
    // msg_l1 is no longer the response being read: what it counted comes from the import state
    appendFileSync(
      file,
      jsonl([
        assistant('l5', 'l2', 'msg_l1', 'req_l1', { type: 'text', text: 'one, late' }, { output_tokens: 130 }, at),
        assistant('l6', 'l4', 'msg_l3', 'req_l3', { type: 'text', text: 'three' }, { output_tokens: 70 }, at),
      ]),
    );
    await importTranscripts(store, { source: 'claude-code', paths: [file] });
    // 100 + 50, then 30 more for msg_l1 (130 in all) and 70 for the new msg_l3
    assert.equal((await store.usage(t.id)).outputTokens, 150 + 30 + 70);
  });

  it('a rewritten or truncated file is deduplicated by record identity', async () => {
    const file = join(projects, `${SESSION}.jsonl`);
    const before = await byImportKey(store, `claude-code:${SESSION}`);
    // rewritten: same records, reordered metadata line first, plus one new prompt
    const lines = [...basicSession()].reverse();
    writeFileSync(file, jsonl([...lines.reverse(), user('u10', 'u9', 'one more')]));
    const r = await importTranscripts(store, { source: 'claude-code', paths: [file] });
    assert.equal(r.messages, 1);
    // truncated to its first 3 lines: nothing new, nothing doubled
    writeFileSync(file, jsonl(basicSession().slice(0, 3)));
    const r2 = await importTranscripts(store, { source: 'claude-code', paths: [file] });
    assert.equal(r2.messages, 0);
    const after = await byImportKey(store, `claude-code:${SESSION}`);
    assert.equal(after.messages.length, before.messages.length + 1);
    assert.equal(new Set(after.messages.map((m) => m.id)).size, after.messages.length);
  });
});

describe('claude-code quirks', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-ccq-'));
    store = await openStore({ dir: ':memory:' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sid = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
  const write = (name: string, lines: Record<string, unknown>[], sub = '') => {
    const d = join(dir, 'p', sub);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, name), jsonl(lines));
    return join(d, name);
  };

  it('titles: custom-title / ai-title / summary win over the first prompt, later wins', async () => {
    const s = sid(1);
    write(`${s}.jsonl`, [
      { type: 'summary', summary: 'Summary title', leafUuid: 't2' },
      user('t1', null, 'first prompt', { sessionId: s }),
      { type: 'ai-title', aiTitle: 'AI title', sessionId: s },
      assistant('t2', 't1', 'msg_t', 'req_t', { type: 'text', text: 'ok' }, {}, { sessionId: s }),
      { type: 'custom-title', customTitle: 'My title', sessionId: s },
    ]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s}.jsonl`)] });
    const t = await byImportKey(store, `claude-code:${s}`);
    // The summary line comes first in the file but names its leaf, which is resolved at the end.
    assert.equal(t.title, 'Summary title');
    const s2 = sid(2);
    write(`${s2}.jsonl`, [user('v1', null, 'hello there', { sessionId: s2 }), { type: 'ai-title', aiTitle: 'AI title', sessionId: s2 }, { type: 'custom-title', customTitle: 'Mine', sessionId: s2 }]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s2}.jsonl`)] });
    assert.equal((await byImportKey(store, `claude-code:${s2}`)).title, 'Mine');
  });

  it('sub-agents (flat agent file, subagents/ folder with meta, inline sidechain) are linked children; cost --tree covers them', async () => {
    const s = sid(3);
    write(`${s}.jsonl`, [
      user('p1', null, 'use agents', { sessionId: s }),
      assistant('p2', 'p1', 'msg_p', 'req_p', { type: 'tool_use', id: 'toolu_task', name: 'Task', input: { prompt: 'look' } }, { output_tokens: 10 }, { sessionId: s }),
      user('sc1', null, 'inline sidechain task', { sessionId: s, isSidechain: true }),
      assistant('sc2', 'sc1', 'msg_sc', 'req_sc', { type: 'text', text: 'inline done' }, { output_tokens: 5 }, { sessionId: s, isSidechain: true }),
      toolResult('p3', 'p2', [{ id: 'toolu_task', content: 'agent finished' }], { sessionId: s }),
    ]);
    write('agent-abc1234.jsonl', [
      user('f1', null, 'Warmup', { sessionId: s, isSidechain: true, agentId: 'abc1234' }),
      assistant('f2', 'f1', 'msg_f', 'req_f', { type: 'text', text: 'warm' }, { output_tokens: 7 }, { sessionId: s, isSidechain: true, agentId: 'abc1234' }),
    ]);
    const sub = join(s, 'subagents');
    write('agent-0123456789abcdef0.jsonl', [
      user('g1', null, 'look', { sessionId: s, isSidechain: true, agentId: '0123456789abcdef0' }),
      assistant('g2', 'g1', 'msg_g', 'req_g', { type: 'text', text: 'looked' }, { output_tokens: 9 }, { sessionId: s, isSidechain: true, agentId: '0123456789abcdef0' }),
    ], sub);
    writeFileSync(join(dir, 'p', sub, 'agent-0123456789abcdef0.meta.json'), JSON.stringify({ agentType: 'Explore', description: 'Find the parser' }));
    write('agent-w1.jsonl', [user('wf1', null, 'workflow step', { sessionId: s, isSidechain: true, agentId: 'w1' })], join(sub, 'workflows', 'run1'));
    const r = await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p')] });
    assert.equal(r.threads.created, 5);
    const main = await byImportKey(store, `claude-code:${s}`);
    assert.equal(main.childThreadIDs.length, 4);
    assert.deepEqual((await byImportKey(store, `claude-code:${s}/agent-w1`)).messages.map((m) => m.content), ['workflow step']);
    const kids = await Promise.all(main.childThreadIDs.map((id) => store.getThread(id)));
    for (const k of kids) assert.equal(k!.mainThreadID, main.id);
    const explore = kids.find((k) => k!.meta?.agentType === 'Explore')!;
    assert.equal(explore.title, 'Find the parser');
    const inline = kids.find((k) => k!.meta?.sidechainRoot === 'sc1')!;
    assert.deepEqual(inline.messages.map((m) => m.content), ['inline sidechain task', 'inline done']);
    // the main thread does not contain the sidechain
    assert.equal(main.messages.length, 3);
    const tree = await store.usage(main.id, { tree: true });
    assert.equal(tree.outputTokens, 10 + 5 + 7 + 9);
    // a sidechain file replaying the parent's response (same message.id, other requestId) does not count it again
    write('agent-def5678.jsonl', [
      user('h1', null, 'replay', { sessionId: s, isSidechain: true, agentId: 'def5678' }),
      assistant('h2', 'h1', 'msg_p', 'req_other', { type: 'tool_use', id: 'toolu_task', name: 'Task', input: { prompt: 'look' } }, { output_tokens: 10 }, { sessionId: s, isSidechain: true, agentId: 'def5678' }),
    ]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p')] });
    assert.equal((await store.usage(main.id, { tree: true })).outputTokens, 10 + 5 + 7 + 9);
    assert.equal((await byImportKey(store, `claude-code:${s}/agent-def5678`)).messages.length, 2);
    assert.equal(tree.threads, 5);
  });

  it('compaction: the summary becomes a summary thread; the boundary keeps the chain going', async () => {
    const s = sid(4);
    write(`${s}.jsonl`, [
      user('c1', null, 'long work', { sessionId: s }),
      assistant('c2', 'c1', 'msg_c', 'req_c', { type: 'text', text: 'working' }, {}, { sessionId: s }),
      { ...user('cb', null, 'x', { sessionId: s }), type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', logicalParentUuid: 'c2', compactMetadata: { trigger: 'auto', preTokens: 150000 }, message: undefined },
      user('cs', 'cb', 'This session is being continued from a previous conversation that ran out of context. Summary: ...', { sessionId: s, isCompactSummary: true, isVisibleInTranscriptOnly: true }),
      user('c3', 'cs', 'continue', { sessionId: s }),
    ]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s}.jsonl`)] });
    const t = await byImportKey(store, `claude-code:${s}`);
    assert.equal(t.summaryThreadIDs.length, 1);
    const summary = (await store.getThread(t.summaryThreadIDs[0]!))!;
    assert.equal(summary.originThreadID, t.id);
    assert.match(summary.messages[0]!.content, /continued from a previous conversation/);
    assert.deepEqual(t.messages.map((m) => m.role), ['user', 'assistant', 'system', 'user']);
    assert.ok(!t.messages.some((m) => /continued from a previous/.test(m.content)), 'the summary is not shown as typed by the human');
    assert.deepEqual(t.messages[2]!.compactMetadata, { trigger: 'auto', preTokens: 150000 });
  });

  it('trees: a rewind hides the abandoned branch, dangling parents are roots, replayed uuids are kept once, cycles cannot form', async () => {
    const s = sid(5);
    write(`${s}.jsonl`, [
      user('k1', null, 'start', { sessionId: s }),
      assistant('k2', 'k1', 'msg_k2', 'req_k2', { type: 'text', text: 'answer one' }, {}, { sessionId: s }),
      user('k3', 'k2', 'old question', { sessionId: s }),
      assistant('k4', 'k3', 'msg_k4', 'req_k4', { type: 'text', text: 'old answer' }, {}, { sessionId: s }),
      // rewind: a new prompt under k2
      user('k5', 'k2', 'new question', { sessionId: s }),
      assistant('k6', 'k5', 'msg_k6', 'req_k6', { type: 'text', text: 'new answer' }, {}, { sessionId: s }),
      // the same line written twice (a resume replay inside the file)
      assistant('k6', 'k5', 'msg_k6', 'req_k6', { type: 'text', text: 'new answer' }, {}, { sessionId: s }),
      // dangling parent, and a record naming itself as parent
      user('k7', 'never-written', 'after a broken chain', { sessionId: s }),
      user('k8', 'k8', 'self parent', { sessionId: s }),
    ]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s}.jsonl`)] });
    const t = await byImportKey(store, `claude-code:${s}`);
    assert.deepEqual(t.messages.map((m) => m.content), ['start', 'answer one', 'new question', 'new answer', 'after a broken chain', 'self parent']);
    // the abandoned branch is still in the log
    const ops = await store.history(t.id);
    assert.ok(ops.some((o) => o.type === 'user:message' && o.message.content === 'old question'));
    assert.ok(ops.some((o) => o.type === 'thread:truncate'));
    // a resumed session (new id) replaying the prefix keeps those records once, where first imported
    const s2 = sid(6);
    write(`${s2}.jsonl`, [
      user('k1', null, 'start', { sessionId: s2 }),
      assistant('k2', 'k1', 'msg_k2', 'req_k2', { type: 'text', text: 'answer one' }, {}, { sessionId: s2 }),
      user('m1', 'k2', 'resumed work', { sessionId: s2 }),
    ]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s2}.jsonl`)] });
    const resumed = await byImportKey(store, `claude-code:${s2}`);
    assert.deepEqual(resumed.messages.map((m) => m.content), ['resumed work']);
    assert.equal(resumed.meta?.resumedFrom, t.id);
  });

  it('bad input: malformed, binary and truncated lines are skipped and reported, the rest imports; empty files import nothing', async () => {
    const s = sid(7);
    const file = join(dir, 'bad', `${s}.jsonl`);
    mkdirSync(join(dir, 'bad'), { recursive: true });
    const good = jsonl([user('b1', null, 'one', { sessionId: s }), user('b2', 'b1', 'two', { sessionId: s })]).split('\n');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(good[0] + '\n{"type": "user", broken\n'),
        Buffer.from([0x00, 0xff, 0xfe, 0x0a]),
        Buffer.from('[1,2]\n' + good[1] + '\n{"type":"user","uuid":"b3"'),
      ]),
    );
    writeFileSync(join(dir, 'bad', 'empty.jsonl'), '');
    const r = await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'bad')] });
    assert.deepEqual(
      r.skipped.map((x) => [x.file, x.line, x.reason.split(':')[0]]),
      [
        [file, 2, 'malformed JSON'],
        [file, 3, 'not text (binary or invalid UTF-8)'],
        [file, 4, 'not a JSON object'],
        [file, 6, 'truncated last line (no newline, not valid JSON)'],
      ],
    );
    assert.equal(r.messages, 2);
    assert.equal(r.threads.created, 1);
  });

  it('more quirks: summary-only and snapshot-only files, isMeta lines, <synthetic> messages, progress lines in the chain, api errors', async () => {
    const s = sid(9);
    const main = write(`${s}.jsonl`, [
      { type: 'progress', uuid: 'q0', parentUuid: null, sessionId: s, data: { type: 'hook_progress' }, toolUseID: 't', timestamp: '2026-01-05T10:00:00.000Z' },
      user('q1', 'q0', 'real prompt', { sessionId: s }),
      user('q2', 'q1', '<command-name>/clear</command-name>', { sessionId: s, isMeta: true }),
      { ...assistant('q3', 'q2', 'msg_syn', 'req_syn', { type: 'text', text: 'No response requested.' }, { output_tokens: 99 }, { sessionId: s }), message: { id: 'msg_syn', type: 'message', role: 'assistant', model: '<synthetic>', content: [{ type: 'text', text: 'No response requested.' }], usage: { input_tokens: 0, output_tokens: 99 } } },
      { ...user('q4', 'q3', 'x', { sessionId: s }), type: 'system', subtype: 'api_error', content: 'Overloaded, retrying', level: 'error', retryAttempt: 1, message: undefined },
    ]);
    // a later file holding only a summary of the session above, and one holding only snapshots
    const other = sid(0);
    write(`${other}.jsonl`, [{ type: 'summary', summary: 'Clearing and retrying', leafUuid: 'q4' }]);
    const snap = 'cccccccc-0000-4000-8000-000000000000';
    write(`${snap}.jsonl`, [{ type: 'file-history-snapshot', messageId: 'zz', snapshot: { messageId: 'zz', trackedFileBackups: {}, timestamp: '2026-01-05T10:00:00.000Z' }, isSnapshotUpdate: false }]);
    // the summary file is read first: its leaf is resolved once every file was read
    const r = await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${other}.jsonl`), main, join(dir, 'p', `${snap}.jsonl`)] });
    assert.deepEqual(r.skipped, []);
    const t = await byImportKey(store, `claude-code:${s}`);
    assert.equal(t.title, 'Clearing and retrying');
    assert.deepEqual(t.messages.map((m) => [m.role, m.kind ?? null]), [['user', null], ['system', 'meta'], ['assistant', null], ['system', 'api_error']]);
    assert.equal(t.messages[2]!.resourceUsage, undefined);
    const snapshotOnly = await byImportKey(store, `claude-code:${snap}`);
    assert.equal(snapshotOnly.messages.length, 0);
  });

  it('a __proto__ key in a tool input is kept as data (an agent working on prototype pollution writes exactly this)', async () => {
    const s = sid(2).replace(/2$/, 'a');
    const file = join(dir, 'p', `${s}.jsonl`);
    writeFileSync(
      file,
      [
        JSON.stringify(user('z1', null, 'one', { sessionId: s })),
        JSON.stringify(assistant('z2', 'z1', 'msg_z', 'req_z', { type: 'tool_use', id: 'toolu_z', name: 'Edit', input: {} }, {}, { sessionId: s })).replace('"input":{}', '"input":{"__proto__":{"x":1}}'),
        JSON.stringify(user('z3', 'z2', 'three', { sessionId: s })),
      ].join('\n') + '\n',
    );
    const r = await importTranscripts(store, { source: 'claude-code', paths: [file] });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.messages, 3);
    const t = await byImportKey(store, `claude-code:${s}`);
    const input = t.messages[1]!.toolCalls![0]!.input as Record<string, unknown>;
    assert.ok(Object.prototype.hasOwnProperty.call(input, '__proto__'), 'kept as an own key');
    assert.equal(JSON.stringify(input), '{"__proto__":{"x":1}}');
    assert.equal(({} as Record<string, unknown>).x, undefined, 'no prototype was touched');
  });

  it('a missing path is NOT_FOUND and changes nothing', async () => {
    const before = (await store.listThreads({ limit: 1000 })).threads.length;
    await assert.rejects(importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'nope')] }), { code: 'NOT_FOUND' });
    await assert.rejects(importTranscripts(store, { source: 'nope' as 'skein', paths: [dir] }), { code: 'VALIDATION' });
    assert.equal((await store.listThreads({ limit: 1000 })).threads.length, before);
  });

  it('images are stored once by hash and referenced from the message', async () => {
    const s = sid(8);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
    const img = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } };
    write(`${s}.jsonl`, [user('i1', null, [{ type: 'text', text: 'see' }, img], { sessionId: s }), user('i2', 'i1', [img], { sessionId: s })]);
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'p', `${s}.jsonl`)] });
    const t = await byImportKey(store, `claude-code:${s}`);
    const refs = t.messages.map((m) => m.images as { sha256: string }[]);
    assert.equal(refs[0]![0]!.sha256.length, 64);
    assert.equal(refs[0]![0]!.sha256, refs[1]![0]!.sha256);
    assert.ok(!JSON.stringify(t.messages).includes(png), 'the base64 bytes are not in the message');
  });
});

export type { ThreadID };
