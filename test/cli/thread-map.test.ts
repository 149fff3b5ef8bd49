/**
 * `skein handoff`, `skein fork` and the thread map in `skein tree`, run as the built executable
 * against a real store in a temporary directory.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message, Thread } from '../../src/index.js';
import type { CostTree } from '../../src/cli/cost-tree.js';
import { skein, skeinJson } from '../helpers/cli.js';

let dir: string;

before(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'skein-map-cli-')), 'store');
});

after(() => {
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

function assertOneLineError(run: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.notEqual(run.code, 0);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

test('handoff, fork and a mention show in skein tree (text and --json); bad arguments fail on one line', async () => {
  const main = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'Parser']);
  const first = await skeinJson<{ message: Message }>(['append', main.id, '--dir', dir, '--role', 'user', '--content', 'rewrite the parser']);
  await skeinJson(['append', main.id, '--dir', dir, '--role', 'assistant', '--content', 'done with the lexer']);

  const next = await skeinJson<Thread>(['handoff', main.id, '--dir', dir, '--goal', 'write the tests']);
  assert.equal(next.handoffFrom, main.id);
  assert.match(next.messages[0]!.content, /done with the lexer[\s\S]*\n\nGoal: write the tests$/);
  const plainId = (await skein(['handoff', main.id, '--dir', dir, '--goal', 'again', '--summary', 'short'])).stdout.trim();
  assert.match(plainId, /^T-[0-9a-f-]{36}$/);

  const copy = await skeinJson<Thread>(['fork', main.id, '--dir', dir, '--at', first.message.id]);
  assert.deepEqual([copy.forkedFrom, copy.messages.map((m) => m.content)], [main.id, ['rewrite the parser']]);

  const other = await skeinJson<Thread>(['new', '--dir', dir, '--title', 'Notes']);
  await skeinJson(['append', other.id, '--dir', dir, '--role', 'user', '--content', `as in @${main.id}`]);

  const tree = await skeinJson<CostTree>(['tree', main.id, '--dir', dir]);
  const rels = tree.tree.links.map((l) => [l.rel, l.id]).sort();
  const want = [['handoff', next.id], ['handoff', plainId], ['fork', copy.id], ['mentioned-by', other.id]].sort();
  assert.deepEqual(rels, want);
  const text = (await skein(['tree', main.id, '--dir', dir])).stdout;
  assert.match(text, new RegExp(`handed off to write the tests  ${next.id}`));
  assert.match(text, new RegExp(`forked into Fork of Parser  ${copy.id}`));
  assert.match(text, new RegExp(`mentioned by Notes  ${other.id}`));
  const back = (await skein(['tree', copy.id, '--dir', dir])).stdout;
  assert.match(back, new RegExp(`forked from Parser  ${main.id}`));

  assertOneLineError(await skein(['handoff', main.id, '--dir', dir]), /--goal/);
  assertOneLineError(await skein(['fork', main.id, '--dir', dir]), /--at/);
  assertOneLineError(await skein(['fork', main.id, '--dir', dir, '--at', 'nope']), /nope/);
});
