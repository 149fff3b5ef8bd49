import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTranscripts, openStore, type ImportProgress } from '../../src/index.js';
import { CLI } from '../helpers/cli.js';
import { jsonl, user } from './cc-records.js';

describe('import progress and the --watch command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-cliw-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const projects = join(dir, 'projects', '-p');
  mkdirSync(projects, { recursive: true });
  const s1 = 'bbbbbbbb-0000-4000-8000-000000000001';
  const s2 = 'bbbbbbbb-0000-4000-8000-000000000002';
  writeFileSync(join(projects, `${s1}.jsonl`), jsonl([user('p1', null, 'one', { sessionId: s1 })]));
  writeFileSync(join(projects, `${s2}.jsonl`), jsonl([user('q1', null, 'two', { sessionId: s2 })]));

  it('reports progress: files done of total, bytes, threads and messages so far', async () => {
    const store = await openStore({ dir: ':memory:' });
    const seen: ImportProgress[] = [];
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'projects')], onProgress: (p) => seen.push(p) });
    const last = seen.at(-1)!;
    const bytes = statSync(join(projects, `${s1}.jsonl`)).size + statSync(join(projects, `${s2}.jsonl`)).size;
    assert.deepEqual(last, { filesDone: 2, filesTotal: 2, bytesDone: bytes, bytesTotal: bytes, threads: 2, messages: 2 });
    assert.ok(seen.some((p) => p.filesDone === 1));
    await store.close();
  });

  it('on a terminal, skein import shows progress (files done/total, MB/s, threads) on stderr', async () => {
    const { runCli } = await import('../../src/cli/run.js');
    let out = '';
    let err = '';
    const code = await runCli(['import', 'claude-code', join(dir, 'projects'), '--dir', join(dir, 'tty-store')], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t), isTTY: true } as { write(t: string): unknown },
      stdin: Object.assign((async function* () {})(), { isTTY: true }),
      env: {},
    });
    assert.equal(code, 0);
    assert.match(err, /files 2\/2 · \d+\.\d MB\/s · 2 threads · 2 messages/);
    assert.equal(out, '2 messages imported: 2 new, 0 updated, 0 unchanged threads\n');
  });

  it('skein import --watch --json prints a line per round and appends what the agent writes', async () => {
    const child = spawn(process.execPath, [CLI, 'import', 'claude-code', join(dir, 'projects'), '--watch', '--json', '--dir', join(dir, 'store')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const waitLines = async (n: number) => {
      const deadline = Date.now() + 20_000;
      while (lines.length < n) {
        if (Date.now() > deadline) assert.fail(`waited for ${n} lines, got ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await waitLines(1);
      assert.deepEqual(JSON.parse(lines[0]!), { threads: { created: 2, updated: 0, unchanged: 0 }, messages: 2, skipped: [] });
      appendFileSync(join(projects, `${s1}.jsonl`), jsonl([user('p2', 'p1', 'more', { sessionId: s1 })]));
      await waitLines(2);
      assert.deepEqual(JSON.parse(lines[1]!), { threads: { created: 0, updated: 1, unchanged: 0 }, messages: 1, skipped: [] });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
