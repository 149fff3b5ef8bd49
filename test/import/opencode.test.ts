import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTranscripts, openStore, type Store, type Thread } from '../../src/index.js';

type Obj = Record<string, unknown>;
const A = 'ses_6aade4081ffeAAAAAAAAAAAAAA';
const B = 'ses_6aade4081ff0BBBBBBBBBBBBBB';
const T0 = Date.parse('2026-01-10T08:00:00Z');

function messages(): { id: string; info: Obj; parts: { id: string; data: Obj }[] }[] {
  const tok = { input: 100, output: 40, reasoning: 10, cache: { read: 500, write: 20 } };
  return [
    { id: 'msg_95521bfdd001aaaa', info: { role: 'user', time: { created: T0 }, agent: 'build', model: { providerID: 'anthropic', modelID: 'claude-sonnet-4-5' } }, parts: [{ id: 'prt_1', data: { type: 'text', text: 'Add a test for the lexer' } }] },
    {
      id: 'msg_95521bfdd002aaaa',
      info: { role: 'assistant', parentID: 'msg_95521bfdd001aaaa', time: { created: T0 + 1000, completed: T0 + 5000 }, modelID: 'claude-sonnet-4-5', providerID: 'anthropic', path: { cwd: '/w/lexer', root: '/w/lexer' }, cost: 0.0123, tokens: tok, finish: 'tool-calls' },
      parts: [
        { id: 'prt_2', data: { type: 'step-start' } },
        { id: 'prt_3', data: { type: 'reasoning', text: 'Need to read lexer.ts', time: { start: T0 } } },
        { id: 'prt_4', data: { type: 'text', text: 'Reading the lexer.' } },
        { id: 'prt_5', data: { type: 'tool', callID: 'toolu_r', tool: 'read', state: { status: 'completed', input: { filePath: 'lexer.ts' }, output: 'export function lex() {}', title: 'lexer.ts', metadata: {}, time: { start: T0, end: T0 + 10 } } } },
        { id: 'prt_6', data: { type: 'tool', callID: 'toolu_b', tool: 'bash', state: { status: 'error', input: { command: 'npm t' }, error: 'exit 1', time: { start: T0, end: T0 + 10 } } } },
        { id: 'prt_7', data: { type: 'step-finish', reason: 'tool-calls', cost: 0.0123, tokens: tok } },
        { id: 'prt_8', data: { type: 'brand-new-part', x: 1 } },
      ],
    },
    { id: 'msg_95521bfdd003aaaa', info: { role: 'user', time: { created: T0 + 6000 } }, parts: [{ id: 'prt_9', data: { type: 'compaction', auto: true } }] },
    { id: 'msg_95521bfdd004aaaa', info: { role: 'assistant', summary: true, time: { created: T0 + 7000, completed: T0 + 8000 }, modelID: 'claude-sonnet-4-5', cost: 0.001, tokens: { input: 10, output: 5, reasoning: 0, cache: { read: 0, write: 0 } } }, parts: [{ id: 'prt_a', data: { type: 'text', text: 'Summary: we added a lexer test.' } }] },
    // still streaming: a running tool, not completed
    { id: 'msg_95521bfdd005aaaa', info: { role: 'assistant', time: { created: T0 + 9000 }, modelID: 'claude-sonnet-4-5', cost: 0, tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } } }, parts: [{ id: 'prt_b', data: { type: 'tool', callID: 'toolu_w', tool: 'write', state: { status: 'running', input: { filePath: 'x' }, time: { start: T0 } } } }] },
  ];
}

function writeTree(root: string, msgs = messages()): void {
  const st = join(root, 'storage');
  const put = (p: string, v: unknown) => {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, JSON.stringify(v, null, 2));
  };
  put(join(st, 'session', 'abc123', `${A}.json`), { id: A, projectID: 'abc123', directory: '/w/lexer', title: 'Lexer tests', version: '0.15.0', time: { created: T0, updated: T0 + 9000 } });
  put(join(st, 'session', 'abc123', `${B}.json`), { id: B, projectID: 'abc123', parentID: A, directory: '/w/lexer', title: 'Explore subagent', version: '0.15.0', time: { created: T0 + 2000, updated: T0 + 3000 } });
  for (const m of msgs) {
    put(join(st, 'message', A, `${m.id}.json`), { id: m.id, sessionID: A, ...m.info });
    for (const p of m.parts) put(join(st, 'part', m.id, `${p.id}.json`), { id: p.id, messageID: m.id, sessionID: A, ...p.data });
  }
  put(join(st, 'message', B, 'msg_95521bfde001bbbb.json'), { id: 'msg_95521bfde001bbbb', sessionID: B, role: 'user', time: { created: T0 + 2000 } });
  put(join(st, 'part', 'msg_95521bfde001bbbb', 'prt_c.json'), { id: 'prt_c', type: 'text', text: 'find lexer files' });
  // a 0-byte part after a full disk, and a session file of NUL bytes after a crash
  writeFileSync(join(st, 'part', 'msg_95521bfde001bbbb', 'prt_d.json'), '');
  writeFileSync(join(st, 'session', 'abc123', 'ses_broken.json'), Buffer.alloc(64));
}

async function thread(store: Store, key: string): Promise<Thread> {
  const { threads } = await store.listThreads({ limit: 100 });
  const h = threads.find((x) => x.meta?.importKey === key);
  assert.ok(h, `no thread ${key}`);
  return (await store.getThread(h.id))!;
}

describe('opencode import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-oc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('JSON storage: sessions, child sessions, tool parts as call + result, usage, compaction; streaming message waits; broken files reported', async () => {
    const root = join(dir, 'opencode');
    writeTree(root);
    const store = await openStore({ dir: ':memory:' });
    const r = await importTranscripts(store, { source: 'opencode', paths: [root] });
    assert.equal(r.skipped.length, 2);
    assert.ok(r.skipped.some((x) => x.reason === 'empty file' && x.file.endsWith('prt_d.json')));
    assert.ok(r.skipped.some((x) => /NUL/.test(x.reason) && x.file.endsWith('ses_broken.json')));
    const t = await thread(store, `opencode:${A}`);
    assert.equal(t.title, 'Lexer tests');
    assert.equal(t.env?.cwd, '/w/lexer');
    assert.deepEqual(t.meta?.source, { agent: 'opencode', sessionId: A, file: join(root, 'storage', 'session', 'abc123', `${A}.json`), version: '0.15.0' });
    // user, assistant (calls), results, compaction request; the summary went to a summary thread; the streaming one waits
    assert.deepEqual(t.messages.map((m) => m.role), ['user', 'assistant', 'user', 'user']);
    const a = t.messages[1]!;
    assert.equal(a.thinking, 'Need to read lexer.ts');
    assert.deepEqual(a.toolCalls!.map((c) => c.id), ['toolu_r', 'toolu_b']);
    assert.deepEqual(t.messages[2]!.toolResults, [{ toolCallId: 'toolu_r', output: 'export function lex() {}' }, { toolCallId: 'toolu_b', output: 'exit 1', isError: true }]);
    assert.deepEqual(a.resourceUsage, { model: 'claude-sonnet-4-5', inputTokens: 100, outputTokens: 50, cacheReadTokens: 500, cacheWriteTokens: 20, costUSD: 0.0123 });
    assert.equal(a.costEstimated, undefined);
    assert.equal(t.summaryThreadIDs.length, 1);
    const child = await thread(store, `opencode:${B}`);
    assert.equal(child.mainThreadID, t.id);
    assert.deepEqual(child.messages.map((m) => m.content), ['find lexer files']);

    // the streaming message completes; a part is rewritten in place (compacted): only the new message is added
    const done = messages();
    done[4]!.info.time = { created: T0 + 9000, completed: T0 + 9500 };
    done[4]!.parts[0]!.data = { type: 'tool', callID: 'toolu_w', tool: 'write', state: { status: 'completed', input: { filePath: 'x' }, output: 'ok', time: { start: T0, end: T0 + 1 } } };
    (done[1]!.parts[3]!.data.state as Obj).time = { start: T0, end: T0 + 10, compacted: T0 + 9999 };
    writeTree(root, done);
    const r2 = await importTranscripts(store, { source: 'opencode', paths: [root] });
    assert.equal(r2.messages, 2);
    const t2 = await thread(store, `opencode:${A}`);
    assert.equal(t2.messages.length, 6);
    const r3 = await importTranscripts(store, { source: 'opencode', paths: [root] });
    assert.equal(r3.messages, 0);
    assert.equal(r3.threads.created + r3.threads.updated, 0);
    await store.close();
  });

  it('opencode.db (1.2+), read-only', async () => {
    const file = join(dir, 'opencode.db');
    const require = createRequire(import.meta.url);
    const Sqlite = require('better-sqlite3') as new (f: string) => { exec(s: string): void; prepare(s: string): { run(...a: unknown[]): unknown }; close(): void };
    const db = new Sqlite(file);
    db.exec(`CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, slug TEXT, directory TEXT, title TEXT, version TEXT, cost REAL, time_created INTEGER, time_updated INTEGER);
      CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
      CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);`);
    db.prepare('INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)').run(A, 'p', null, 's', '/w/db', 'From the db', '1.2.3', T0, T0);
    for (const m of messages().slice(0, 2)) {
      db.prepare('INSERT INTO message VALUES (?, ?, ?, ?, ?)').run(m.id, A, (m.info.time as Obj).created, 0, JSON.stringify(m.info));
      for (const p of m.parts) db.prepare('INSERT INTO part VALUES (?, ?, ?, 0, 0, ?)').run(p.id, m.id, A, JSON.stringify(p.data));
    }
    db.close();
    const store = await openStore({ dir: ':memory:' });
    const r = await importTranscripts(store, { source: 'opencode', paths: [file] });
    assert.deepEqual(r.skipped, []);
    const t = await thread(store, `opencode:${A}`);
    assert.equal(t.title, 'From the db');
    assert.deepEqual(t.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal((await store.usage(t.id)).costUSD, 0.0123);
    await store.close();
  });
});
