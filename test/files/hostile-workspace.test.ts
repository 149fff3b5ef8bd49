import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, symlinkSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeinError, type ThreadID } from '../../src/index.js';
import { readConfined, writeConfined } from '../../src/files/confined-io.js';
import { resolveInWorkspace } from '../../src/files/paths.js';
import { bytesOf, listFiles, tempDir, tempStore, type TempStore } from '../helpers/workspace.js';

const refused = (code: string, re?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SkeinError, String(e));
  assert.equal(e.code, code, e.message);
  if (re) assert.match(e.message, re);
  return true;
};

describe('file change tracking: a hostile workspace', () => {
  let t: TempStore;
  let id: ThreadID;
  let outside: string;
  before(async () => {
    t = await tempStore();
    id = (await t.store.createThread()).id;
    outside = tempDir('outside');
  });
  after(async () => {
    await t.dispose();
    rmSync(outside, { recursive: true, force: true });
  });

  test('a symlink planted where the old fixed temp name was is never followed: rollback writes only the target', async () => {
    writeFileSync(join(outside, 'victim.txt'), 'outside, must not change');
    writeFileSync(t.at('a.txt'), 'before');
    await t.store.files.recordFileChange(id, 'op-plant', { path: 'a.txt', type: 'modify', newContent: 'after' });
    writeFileSync(t.at('a.txt'), 'after');
    // The name the rollback used to write through, predictable from the file name alone.
    const fixed = `.skein-${createHash('sha256').update('a.txt').digest('hex').slice(0, 16)}.tmp`;
    symlinkSync(join(outside, 'victim.txt'), t.at(fixed));

    const r = await t.store.files.rollbackOperation(id, 'op-plant');
    assert.deepEqual(r.reverted, ['a.txt']);
    assert.deepEqual(r.failed, []);
    assert.equal(bytesOf(join(outside, 'victim.txt'))?.toString(), 'outside, must not change');
    assert.ok(lstatSync(t.at('a.txt')).isFile() && !lstatSync(t.at('a.txt')).isSymbolicLink(), 'the target is a regular file, not a link');
    assert.equal(bytesOf(t.at('a.txt'))?.toString(), 'before');
    assert.ok(lstatSync(t.at(fixed)).isSymbolicLink(), 'the planted link is left as it was');
  });

  test('a directory swapped for a link after the check: nothing outside is read or written', async () => {
    mkdirSync(t.at('sub'));
    writeFileSync(t.at('sub/f.txt'), 'inside');
    mkdirSync(join(outside, 'dir'));
    writeFileSync(join(outside, 'dir/f.txt'), 'secret outside bytes');
    const wp = await resolveInWorkspace(t.ws, 'sub/f.txt');
    // The swap lands between resolving and the I/O.
    renameSync(t.at('sub'), t.at('sub-moved'));
    symlinkSync(join(outside, 'dir'), t.at('sub'));
    await assert.rejects(readConfined(wp), refused('FORBIDDEN'));
    await assert.rejects(writeConfined(wp, Buffer.from('evil')), refused('FORBIDDEN'));
    assert.equal(bytesOf(join(outside, 'dir/f.txt'))?.toString(), 'secret outside bytes');
    assert.deepEqual(listFiles(outside).sort(), ['dir/f.txt', 'victim.txt'], 'no temp file left outside');
    rmSync(t.at('sub'));
    renameSync(t.at('sub-moved'), t.at('sub'));
    assert.equal((await readConfined(wp))?.toString(), 'inside', 'the same path reads again once it is back');
  });

  test('a file that became a symlink after the check is not followed', async () => {
    writeFileSync(t.at('g.txt'), 'inside g');
    const wp = await resolveInWorkspace(t.ws, 'g.txt');
    rmSync(t.at('g.txt'));
    symlinkSync(join(outside, 'victim.txt'), t.at('g.txt'));
    await assert.rejects(readConfined(wp), refused('FORBIDDEN'));
    rmSync(t.at('g.txt'));
  });

  test('temp files of a killed write are cleared by the next rollback of that file, nothing else is', async () => {
    writeFileSync(t.at('b.txt'), 'b0');
    await t.store.files.recordFileChange(id, 'op-b', { path: 'b.txt', type: 'modify', newContent: 'b1' });
    writeFileSync(t.at('b.txt'), 'b1');
    writeFileSync(t.at('.b.txt.skein-0123456789abcdef.tmp'), 'litter of a killed run');
    writeFileSync(t.at('.b.txt.skein-mine.tmp'), 'a user file that only looks alike');
    const r = await t.store.files.rollbackOperation(id, 'op-b');
    assert.deepEqual(r.reverted, ['b.txt']);
    const names = readdirSync(t.ws).filter((n) => n.startsWith('.b.txt'));
    assert.deepEqual(names, ['.b.txt.skein-mine.tmp']);
  });

  test('a file over 2 GiB is refused with a clear VALIDATION error, not INTERNAL', async () => {
    const fd = openSync(t.at('huge.bin'), 'w');
    try {
      ftruncateSync(fd, 2 ** 31 + 10); // sparse: no disk used
    } finally {
      closeSync(fd);
    }
    await assert.rejects(
      t.store.files.recordFileChange(id, 'op-huge', { path: 'huge.bin', type: 'modify', newContent: 'small' }),
      refused('VALIDATION', /2 GiB/),
    );
    rmSync(t.at('huge.bin'));
    assert.deepEqual(await t.store.files.list(id, { operationId: 'op-huge' }), []);
  });

  test('a path that is a directory is a VALIDATION error naming the field', async () => {
    mkdirSync(t.at('adir'));
    await assert.rejects(t.store.files.recordFileChange(id, 'op-d', { path: 'adir', type: 'modify', newContent: 'x' }), refused('VALIDATION', /change\.path: adir is a directory/));
  });
});
