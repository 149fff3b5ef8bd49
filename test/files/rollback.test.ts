import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SkeinError, type ThreadID } from '../../src/index.js';
import { bytesOf, listFiles, tempStore, type TempStore } from '../helpers/workspace.js';

describe('file change tracking: rollback', () => {
  let t: TempStore;
  let id: ThreadID;
  before(async () => {
    t = await tempStore();
    id = (await t.store.createThread({ title: 'files' })).id;
  });
  after(() => t.dispose());

  /** What an agent's tool does: record, then write. */
  async function toolWrite(op: string, rel: string, content: string | Buffer): Promise<void> {
    const exists = bytesOf(t.at(rel)) !== null;
    await t.store.files.recordFileChange(id, op, { path: rel, type: exists ? 'modify' : 'create', newContent: content });
    mkdirSync(t.at(rel).replace(/\/[^/]+$/, ''), { recursive: true });
    writeFileSync(t.at(rel), content);
  }

  async function toolDelete(op: string, rel: string): Promise<void> {
    await t.store.files.recordFileChange(id, op, { path: rel, type: 'delete' });
    rmSync(t.at(rel));
  }

  test('modify, create and delete are rolled back byte-exact, text and binary', async () => {
    const text = 'line one\r\nline two ünïcödé ✓\n\tno final newline';
    const binary = Buffer.concat([randomBytes(4096), Buffer.from([0, 0xff, 0xfe, 0x0d, 0x0a])]);
    writeFileSync(t.at('text.txt'), text);
    writeFileSync(t.at('blob.bin'), binary);
    writeFileSync(t.at('gone.bin'), binary.subarray(7, 1000));
    chmodSync(t.at('text.txt'), 0o750);

    await toolWrite('op-a', 'text.txt', 'replaced');
    await toolWrite('op-a', 'blob.bin', randomBytes(100));
    await toolWrite('op-a', 'new/dir/created.txt', 'brand new');
    await toolDelete('op-a', 'gone.bin');
    const records = await t.store.files.list(id, { operationId: 'op-a' });
    assert.deepEqual(
      records.map((r) => [r.path, r.type, r.before !== undefined, r.after !== undefined]),
      [
        ['text.txt', 'modify', true, true],
        ['blob.bin', 'modify', true, true],
        ['new/dir/created.txt', 'create', false, true],
        ['gone.bin', 'delete', true, false],
      ],
    );

    const result = await t.store.files.rollbackOperation(id, 'op-a');
    assert.deepEqual(result, { reverted: ['gone.bin', 'new/dir/created.txt', 'blob.bin', 'text.txt'], conflicts: [], failed: [], alreadyReverted: [] });
    assert.deepEqual(bytesOf(t.at('text.txt')), Buffer.from(text));
    assert.deepEqual(bytesOf(t.at('blob.bin')), binary);
    assert.deepEqual(bytesOf(t.at('gone.bin')), binary.subarray(7, 1000));
    assert.equal(bytesOf(t.at('new/dir/created.txt')), null);
    assert.equal(statSync(t.at('text.txt')).mode & 0o777, 0o750, 'a restored file keeps its permissions');
    assert.ok(!listFiles(t.ws).some((f) => f.endsWith('.tmp')), 'no temp file left behind');
    assert.ok((await t.store.files.list(id, { operationId: 'op-a' })).every((r) => r.reverted !== undefined));

    const again = await t.store.files.rollbackOperation(id, 'op-a');
    assert.deepEqual(again.reverted, []);
    assert.deepEqual(again.alreadyReverted.sort(), ['blob.bin', 'gone.bin', 'new/dir/created.txt', 'text.txt']);
  });

  test('several changes to one file in one operation are undone newest first, back to the first before', async () => {
    writeFileSync(t.at('multi.txt'), 'v0');
    await toolWrite('op-b', 'multi.txt', 'v1');
    await toolWrite('op-b', 'multi.txt', 'v2');
    await toolDelete('op-b', 'multi.txt');
    await toolWrite('op-b', 'multi.txt', 'v3');
    writeFileSync(t.at('other.txt'), 'o0');
    await toolWrite('op-c', 'other.txt', 'o1');

    const result = await t.store.files.rollbackOperation(id, 'op-b');
    assert.deepEqual(result.reverted, ['multi.txt']);
    assert.equal(bytesOf(t.at('multi.txt'))?.toString(), 'v0');
    assert.equal(bytesOf(t.at('other.txt'))?.toString(), 'o1', 'another operation is not touched');
  });

  test('a file the person changed after the agent is a conflict and stays untouched; force reverts it', async () => {
    writeFileSync(t.at('mine.txt'), 'original');
    writeFileSync(t.at('theirs.txt'), 'original 2');
    await toolWrite('op-d', 'mine.txt', 'agent edit');
    await toolWrite('op-d', 'theirs.txt', 'agent edit 2');
    writeFileSync(t.at('mine.txt'), 'the person edited this after the agent');

    const r = await t.store.files.rollbackOperation(id, 'op-d');
    assert.deepEqual(r.conflicts, ['mine.txt']);
    assert.deepEqual(r.reverted, ['theirs.txt']);
    assert.equal(bytesOf(t.at('mine.txt'))?.toString(), 'the person edited this after the agent');
    assert.equal(bytesOf(t.at('theirs.txt'))?.toString(), 'original 2');

    const again = await t.store.files.rollbackOperation(id, 'op-d');
    assert.deepEqual(again.conflicts, ['mine.txt'], 'still a conflict when asked again');
    assert.deepEqual(again.alreadyReverted, ['theirs.txt']);

    const forced = await t.store.files.rollbackOperation(id, 'op-d', { force: true });
    assert.deepEqual(forced.reverted, ['mine.txt']);
    assert.equal(bytesOf(t.at('mine.txt'))?.toString(), 'original');
  });

  test('a deleted file the person recreated is a conflict; one already back in its before state counts as reverted', async () => {
    await toolWrite('op-e', 'made.txt', 'made');
    rmSync(t.at('made.txt'));
    writeFileSync(t.at('made2.txt'), 'x');
    await toolDelete('op-e', 'made2.txt');
    writeFileSync(t.at('made2.txt'), 'recreated by the person');
    const r = await t.store.files.rollbackOperation(id, 'op-e');
    assert.deepEqual(r.conflicts, ['made2.txt']);
    assert.deepEqual(r.reverted, ['made.txt']);
    assert.equal(bytesOf(t.at('made.txt')), null);
    assert.equal(bytesOf(t.at('made2.txt'))?.toString(), 'recreated by the person');
  });

  test('every per-file failure is reported by path and the other files are still reverted', async () => {
    writeFileSync(t.at('ok.txt'), 'ok before');
    await toolWrite('op-f', 'ok.txt', 'ok after');
    await toolWrite('op-f', 'blocked/f.txt', 'created');
    // The person replaces the created file by a directory: it can be neither read nor removed as a file.
    rmSync(t.at('blocked/f.txt'));
    mkdirSync(t.at('blocked/f.txt'));
    const r = await t.store.files.rollbackOperation(id, 'op-f');
    assert.deepEqual(r.reverted, ['ok.txt']);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0]!.path, 'blocked/f.txt');
    assert.match(r.failed[0]!.error, /EISDIR|directory/i);
    assert.equal(bytesOf(t.at('ok.txt'))?.toString(), 'ok before');
  });

  test('the change log survives a restart of the store', async () => {
    writeFileSync(t.at('persist.txt'), 'p0');
    await toolWrite('op-g', 'persist.txt', 'p1');
    await t.store.close();
    await t.reopen();
    const r = await t.store.files.rollbackOperation(id, 'op-g');
    assert.deepEqual(r.reverted, ['persist.txt']);
    assert.equal(bytesOf(t.at('persist.txt'))?.toString(), 'p0');
  });

  test('bad input is refused with a clear error and records nothing', async () => {
    const count = (await t.store.files.list(id)).length;
    const bad: [unknown, unknown, unknown, string][] = [
      ['nope', 'op', { path: 'a', type: 'create', newContent: 'x' }, 'VALIDATION'],
      [id, '', { path: 'a', type: 'create', newContent: 'x' }, 'VALIDATION'],
      [id, 'op', { path: '', type: 'create', newContent: 'x' }, 'VALIDATION'],
      [id, 'op', { path: 'a', type: 'rename', newContent: 'x' }, 'VALIDATION'],
      [id, 'op', { path: 'a', type: 'modify' }, 'VALIDATION'],
      [id, 'op', { path: 'a', type: 'modify', newContent: 42 }, 'VALIDATION'],
      [id, 'op', { path: 'a', type: 'delete', newContent: 'x' }, 'VALIDATION'],
      [id, 'op', { path: 'new', type: 'create', newContent: 'x', extra: 1 }, 'VALIDATION'],
      ['T-00000000-0000-7000-8000-000000000000', 'op', { path: 'a', type: 'create', newContent: 'x' }, 'NOT_FOUND'],
    ];
    mkdirSync(t.at('adir'), { recursive: true });
    bad.push([id, 'op', { path: 'adir', type: 'modify', newContent: 'x' }, 'VALIDATION']);
    for (const [tid, op, change, code] of bad) {
      await assert.rejects(
        t.store.files.recordFileChange(tid as ThreadID, op as string, change as never),
        (e: unknown) => e instanceof SkeinError && e.code === code,
        JSON.stringify(change),
      );
    }
    assert.equal((await t.store.files.list(id)).length, count);
    await assert.rejects(t.store.files.rollbackOperation(id, 'never-recorded'), (e: unknown) => e instanceof SkeinError && e.code === 'NOT_FOUND');
  });
});
