import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { skein, skeinJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';

describe('skein search and skein reindex', () => {
  const dir = tempDir('cli-search');
  let id: string;

  before(async () => {
    await skein(['init', '--dir', dir]);
    id = (await skeinJson<{ id: string }>(['new', '--dir', dir, '--title', 'Fix the \u001b[2J login test'])).id;
    await skein(['append', id, '--dir', dir, '--role', 'user', '--content', 'The login test is flaky on CI']);
    await skein(['append', id, '--dir', dir, '--role', 'assistant', '--content', 'Retrying the login with a fresh session']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--json prints { results, nextCursor } as store.search does', async () => {
    const page = await skeinJson<{ results: { threadId: string; messageId: string | null; snippet: string; highlights: number[][] }[]; nextCursor?: string }>([
      'search', 'login', '--dir', dir, '--limit', '2',
    ]);
    assert.equal(page.results.length, 2);
    assert.ok(page.nextCursor);
    assert.ok(page.results.every((r) => r.threadId === id));
    const rest = await skeinJson<{ results: unknown[]; nextCursor?: string }>(['search', 'login', '--dir', dir, '--cursor', page.nextCursor!]);
    assert.equal(rest.results.length, 1);
    assert.equal(rest.nextCursor, undefined);
  });

  test('human output: one header line and one snippet line per result, control characters escaped', async () => {
    const run = await skein(['search', '"flaky on"', '--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(`^${id}  Fix the \\\\u001b\\[2J login test  `));
    assert.equal(lines[1], '  The login test is flaky on CI');
    assert.ok(!run.stdout.includes('\u001b'), 'no raw escape reaches the terminal (and no bold: not a TTY)');
    assert.equal((await skein(['search', 'nothingmatches', '--dir', dir])).stdout, 'no matches\n');
  });

  test('bad syntax and bad options: exit 2, one line on stderr naming the problem', async () => {
    for (const [args, message] of [
      [['search', '"open', '--dir', dir], /QUERY: a quote is not closed/],
      [['search', 'a', '--dir', dir, '--kind', 'other'], /--kind/],
      [['search', 'a', '--dir', dir, '--since', 'soon'], /--since/],
      [['search', 'a', '--dir', dir, '--cursor', 'zzz'], /--cursor/],
      [['search', '--dir', dir], /missing QUERY/],
    ] as const) {
      const run = await skein([...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, message);
    }
  });

  test('an archived thread is found and marked [archived]; restored, found once and unmarked; skein reindex keeps it', async () => {
    const hits = async () => (await skeinJson<{ results: { threadId: string; archived: boolean }[] }>(['search', 'session', '--dir', dir])).results;
    assert.deepEqual((await hits()).map((r) => [r.threadId, r.archived]), [[id, false]]);
    assert.equal((await skein(['archive', '--older-than', '0s', '--dir', dir])).code, 0);
    assert.deepEqual((await hits()).map((r) => [r.threadId, r.archived]), [[id, true]], 'archived: found, marked');
    const human = await skein(['search', 'session', '--dir', dir]);
    assert.match(human.stdout.split('\n')[0]!, / {2}\[archived\]$/);
    assert.equal((await skeinJson<{ documents: number }>(['reindex', '--dir', dir])).documents, 3, 'an archived thread keeps its documents');
    assert.deepEqual((await hits()).map((r) => r.archived), [true]);
    assert.equal((await skein(['restore', id, '--dir', dir])).code, 0);
    assert.deepEqual((await hits()).map((r) => [r.threadId, r.archived]), [[id, false]], 'restored: once, unmarked');
    assert.doesNotMatch((await skein(['search', 'session', '--dir', dir])).stdout, /archived/);
  });

  test('reindex rebuilds and says how many documents', async () => {
    assert.deepEqual(await skeinJson(['reindex', '--dir', dir]), { documents: 3 });
    assert.match((await skein(['reindex', '--dir', dir])).stdout, /^indexed 3 documents\n$/);
    assert.equal((await skeinJson<{ results: unknown[] }>(['search', 'login', '--dir', dir])).results.length, 3);
  });
});
