import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, watchTranscripts, type ImportResult, type Store } from '../../src/index.js';
import { assistant, jsonl, user } from './cc-records.js';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function contents(store: Store, key: string): Promise<string[] | undefined> {
  const { threads } = await store.listThreads({ limit: 100 });
  const h = threads.find((t) => t.meta?.importKey === key);
  return h && (await store.getThread(h.id))!.messages.map((m) => m.content);
}

describe('import --watch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-watch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows a file being appended to (a partial last line waits for its newline) and picks up new files', async () => {
    const projects = join(dir, 'projects', '-p');
    mkdirSync(projects, { recursive: true });
    const s1 = 'aaaaaaaa-0000-4000-8000-000000000001';
    const file = join(projects, `${s1}.jsonl`);
    writeFileSync(file, jsonl([user('w1', null, 'first', { sessionId: s1 })]));
    const store = await openStore({ dir: join(dir, 'store') });
    const ac = new AbortController();
    const rounds: ImportResult[] = [];
    const running = watchTranscripts(store, { source: 'claude-code', paths: [join(dir, 'projects')], signal: ac.signal, onRound: (r) => rounds.push(r) });
    try {
      await until('the first round', async () => (rounds.length > 0 ? true : undefined));
      assert.deepEqual(await contents(store, `claude-code:${s1}`), ['first']);

      // an agent writing a line in two pieces: nothing until the newline, and no complaint
      const line = JSON.stringify(assistant('w2', 'w1', 'msg_w', 'req_w', { type: 'text', text: 'second' }, {}, { sessionId: s1 }));
      appendFileSync(file, line.slice(0, 40));
      // several polling rounds pass over the partial line
      await new Promise((r) => setTimeout(r, 800));
      assert.deepEqual(await contents(store, `claude-code:${s1}`), ['first']);
      assert.ok(rounds.every((r) => r.skipped.length === 0), 'a line being written is not reported as bad');
      appendFileSync(file, line.slice(40) + '\n');
      await until('the completed line', async () => ((await contents(store, `claude-code:${s1}`))?.length === 2 ? true : undefined));
      assert.deepEqual(await contents(store, `claude-code:${s1}`), ['first', 'second']);

      // a new session file
      const s2 = 'aaaaaaaa-0000-4000-8000-000000000002';
      writeFileSync(join(projects, `${s2}.jsonl`), jsonl([user('x1', null, 'another session', { sessionId: s2 })]));
      await until('the new file', async () => ((await contents(store, `claude-code:${s2}`))?.length === 1 ? true : undefined));
      assert.deepEqual(await contents(store, `claude-code:${s2}`), ['another session']);
    } finally {
      ac.abort();
      await running;
      await store.close();
    }
  });
});
