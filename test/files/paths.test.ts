import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeinError, type ThreadID } from '../../src/index.js';
import { bytesOf, listFiles, tempDir, tempStore, type TempStore } from '../helpers/workspace.js';

describe('file change tracking: paths stay inside the workspace root', () => {
  let t: TempStore;
  let id: ThreadID;
  let outside: string;
  before(async () => {
    t = await tempStore();
    id = (await t.store.createThread()).id;
    outside = tempDir('outside');
    writeFileSync(join(outside, 'secret.txt'), 'outside content');
    mkdirSync(t.at('sub'));
    symlinkSync(outside, t.at('sub/link-out'));
    symlinkSync(join(outside, 'secret.txt'), t.at('file-link-out'));
    symlinkSync(join(outside, 'not-yet.txt'), t.at('dangling-out'));
    symlinkSync('../../', t.at('sub/up'));
    writeFileSync(t.at('inside.txt'), 'inside');
    symlinkSync('inside.txt', t.at('link-in'));
  });
  after(async () => {
    await t.dispose();
    rmSync(outside, { recursive: true, force: true });
  });

  const refused = (code: string) => (e: unknown) => {
    assert.ok(e instanceof SkeinError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };

  test('`..`, absolute paths elsewhere and symlinks that lead out are refused before anything is read or written', async () => {
    const escapes = [
      '../escape.txt',
      'sub/../../escape.txt',
      join(outside, 'secret.txt'),
      '/etc/passwd',
      'sub/link-out/secret.txt',
      'sub/link-out/new.txt',
      'file-link-out',
      'dangling-out',
      'sub/up/escape.txt',
    ];
    for (const path of escapes) {
      for (const type of ['modify', 'create'] as const) {
        await assert.rejects(t.store.files.recordFileChange(id, 'op-x', { path, type, newContent: 'evil' }), refused('FORBIDDEN'), path);
      }
      await assert.rejects(t.store.files.recordFileChange(id, 'op-x', { path, type: 'delete' }), refused('FORBIDDEN'), path);
    }
    assert.deepEqual(await t.store.files.list(id), [], 'nothing recorded');
    const du = await t.store.diskUsage();
    assert.equal(du.blobs.count, 0, 'no content read from outside was stored');
    assert.deepEqual(listFiles(outside), ['secret.txt'], 'nothing written outside');
    assert.equal(bytesOf(join(outside, 'secret.txt'))?.toString(), 'outside content');
  });

  test('paths that stay inside are accepted: `a/../b`, absolute inside, a symlink to a file inside', async () => {
    const ok = await t.store.files.recordFileChange(id, 'op-ok', { path: 'sub/../inside.txt', type: 'modify', newContent: 'new' });
    assert.equal(ok.path, 'inside.txt');
    const abs = await t.store.files.recordFileChange(id, 'op-ok', { path: t.at('sub/abs.txt'), type: 'create', newContent: 'a' });
    assert.equal(abs.path, 'sub/abs.txt');
    const viaLink = await t.store.files.recordFileChange(id, 'op-ok', { path: 'link-in', type: 'modify', newContent: 'through the link' });
    assert.equal(viaLink.before, ok.before, 'a link inside reads its target');
    await assert.rejects(t.store.files.recordFileChange(id, 'op-ok', { path: '.', type: 'modify', newContent: 'x' }), refused('VALIDATION'));
    await assert.rejects(t.store.files.recordFileChange(id, 'op-ok', { path: 'a\0b', type: 'create', newContent: 'x' }), refused('VALIDATION'));
  });

  test('a symlink planted after the change was recorded cannot make a rollback write outside', async () => {
    mkdirSync(t.at('later'));
    writeFileSync(t.at('later/f.txt'), 'before');
    await t.store.files.recordFileChange(id, 'op-plant', { path: 'later/f.txt', type: 'modify', newContent: 'after' });
    writeFileSync(t.at('later/f.txt'), 'after');
    // Someone swaps the directory for a link to the outside, holding a file with the agent's bytes.
    rmSync(t.at('later'), { recursive: true });
    writeFileSync(join(outside, 'f.txt'), 'after');
    symlinkSync(outside, t.at('later'));
    const r = await t.store.files.rollbackOperation(id, 'op-plant');
    assert.deepEqual(r.reverted, []);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0]!.path, 'later/f.txt');
    assert.equal(r.failed[0]!.code, 'FORBIDDEN');
    assert.equal(bytesOf(join(outside, 'f.txt'))?.toString(), 'after', 'the outside file is untouched');
  });

  test("the root is the thread's env.cwd when it has one", async () => {
    const other = tempDir('cwd');
    try {
      const th = await t.store.createThread({ env: { cwd: other } });
      writeFileSync(join(other, 'x.txt'), 'in cwd');
      const r = await t.store.files.recordFileChange(th.id, 'op', { path: 'x.txt', type: 'modify', newContent: 'y' });
      assert.ok(r.before, 'read from env.cwd');
      await assert.rejects(t.store.files.recordFileChange(th.id, 'op', { path: t.at('inside.txt'), type: 'modify', newContent: 'x' }), refused('FORBIDDEN'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
