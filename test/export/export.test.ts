import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skein, skeinJson } from '../helpers/cli.js';
import { SESSION, assistant, jsonl, toolResult, user } from '../import/cc-records.js';

interface ImportJson {
  threads: { created: number; updated: number; unchanged: number };
  messages: number;
  skipped: { file: string; line: number; reason: string }[];
}

describe('skein import / export on the command line', () => {
  let dir: string;
  let projects: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-exp-'));
    projects = join(dir, 'claude', 'projects', '-home-dev-my-project');
    mkdirSync(projects, { recursive: true });
    writeFileSync(
      join(projects, `${SESSION}.jsonl`),
      jsonl([
        user('u1', null, 'Run the tests'),
        assistant('a1', 'u1', 'msg_1', 'req_1', { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'npm test ```' } }, { output_tokens: 40 }),
        toolResult('r1', 'a1', [{ id: 'toolu_1', content: 'all green', isError: false }]),
        assistant('a2', 'r1', 'msg_2', 'req_2', { type: 'text', text: 'All **green**.' }, { output_tokens: 12 }),
      ]),
    );
    mkdirSync(join(projects, SESSION, 'subagents'), { recursive: true });
    writeFileSync(
      join(projects, SESSION, 'subagents', 'agent-abcdef0.jsonl'),
      jsonl([user('s1', null, 'sub task', { isSidechain: true, agentId: 'abcdef0' }), assistant('s2', 's1', 'msg_s', 'req_s', { type: 'text', text: 'sub done' }, { output_tokens: 3 }, { isSidechain: true, agentId: 'abcdef0' })]),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports with the default path from CLAUDE_CONFIG_DIR, prints the --json summary, and is idempotent', async () => {
    const store = join(dir, 'a');
    const env = { CLAUDE_CONFIG_DIR: join(dir, 'claude') };
    const r = await skeinJson<ImportJson>(['import', 'claude-code', '--dir', store], { env });
    assert.deepEqual(r, { threads: { created: 2, updated: 0, unchanged: 0 }, messages: 6, skipped: [] });
    const again = await skeinJson<ImportJson>(['import', 'claude-code', '--dir', store], { env });
    assert.deepEqual(again, { threads: { created: 0, updated: 0, unchanged: 2 }, messages: 0, skipped: [] });
    // on a pipe: the summary only, no progress
    const plain = await skein(['import', 'claude-code', '--dir', store], { env });
    assert.equal(plain.code, 0);
    assert.equal(plain.stderr, '');
    assert.match(plain.stdout, /^0 messages imported: 0 new, 0 updated, 2 unchanged threads\n$/);
    const missing = await skein(['import', 'claude-code', join(dir, 'nope'), '--dir', store]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^skein: no such file or folder: .*nope\n$/);
  });

  it('ls / show / cost --tree over an import; cost says estimated', async () => {
    const store = join(dir, 'a');
    const ls = await skeinJson<{ threads: { id: string; title?: string; mainThreadID?: string }[] }>(['ls', '--dir', store]);
    const main = ls.threads.find((t) => !t.mainThreadID)!;
    assert.equal(main.title, 'Run the tests');
    const cost = await skein(['cost', main.id, '--tree', '--dir', store]);
    assert.equal(cost.code, 0);
    assert.match(cost.stdout, /estimated/);
    const costJson = await skeinJson<{ outputTokens: number; costEstimated?: boolean; threads: number }>(['cost', main.id, '--tree', '--dir', store]);
    assert.equal(costJson.outputTokens, 55);
    assert.equal(costJson.threads, 2);
    assert.equal(costJson.costEstimated, true);
    const tree = await skein(['tree', main.id, '--dir', store]);
    assert.match(tree.stdout, /sub task/);
  });

  it('jsonl export is lossless: importing it into an empty store gives the same ids, versions and bytes', async () => {
    const a = join(dir, 'a');
    const ls = await skeinJson<{ threads: { id: string; v: number; mainThreadID?: string }[] }>(['ls', '--dir', a]);
    const main = ls.threads.find((t) => !t.mainThreadID)!;
    const exported = await skein(['export', main.id, '--tree', '--format', 'jsonl', '--dir', a]);
    assert.equal(exported.code, 0);
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, exported.stdout);
    const b = join(dir, 'b');
    const r = await skeinJson<ImportJson>(['import', 'skein', file, '--dir', b]);
    assert.deepEqual(r.threads, { created: 2, updated: 0, unchanged: 0 });
    const again = await skein(['export', main.id, '--tree', '--format', 'jsonl', '--dir', b]);
    assert.equal(again.stdout, readFileSync(file, 'utf8'));
    const lsB = await skeinJson<{ threads: { id: string; v: number }[] }>(['ls', '--dir', b]);
    assert.deepEqual(
      lsB.threads.map((t) => [t.id, t.v]).sort(),
      ls.threads.map((t) => [t.id, t.v]).sort(),
    );
    // importing the same export again changes nothing
    const twice = await skeinJson<ImportJson>(['import', 'skein', file, '--dir', b]);
    assert.deepEqual(twice.threads, { created: 0, updated: 0, unchanged: 2 });
  });

  it('markdown is a readable transcript; raw gives back the source lines; json the thread', async () => {
    const a = join(dir, 'a');
    const ls = await skeinJson<{ threads: { id: string; mainThreadID?: string }[] }>(['ls', '--dir', a]);
    const main = ls.threads.find((t) => !t.mainThreadID)!;
    const md = (await skein(['export', main.id, '--format', 'markdown', '--dir', a])).stdout;
    assert.match(md, /^# Run the tests\n/);
    assert.match(md, /### user · /);
    assert.match(md, /### assistant · /);
    assert.match(md, /\*\*tool call\*\* `Bash` \(toolu_1\)\n\n````json\n/);
    assert.match(md, /\*\*tool result\*\* for toolu_1\n\n```\nall green\n```/);
    assert.match(md, /- cost: \$\d+\.\d{4} \(estimated\)/);
    const raw = (await skein(['export', main.id, '--format', 'raw', '--dir', a])).stdout;
    assert.deepEqual(
      raw.trim().split('\n').map((l) => (JSON.parse(l) as { uuid: string }).uuid),
      ['u1', 'a1', 'r1', 'a2'],
    );
    const json = JSON.parse((await skein(['export', main.id, '--format', 'json', '--dir', a])).stdout) as { id: string; messages: unknown[] };
    assert.equal(json.id, main.id);
    assert.equal(json.messages.length, 4);
    const bad = await skein(['export', main.id, '--format', 'pdf', '--dir', a]);
    assert.equal(bad.code, 2);
  });
});
