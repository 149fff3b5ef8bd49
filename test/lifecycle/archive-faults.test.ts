/**
 * An archive run that cannot write its entry (the archive folder is unusable, or the disk is
 * full) leaves the thread active and looking active: the `archive` op it appended is followed by
 * a `restore`, the thread is reported as skipped with the reason, and a later run archives it.
 * The full-disk case mounts a small tmpfs over the archive folder (root only; skipped with the
 * reason printed otherwise).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThreadID } from '../../src/index.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const DAY = 86_400_000;

describe('lifecycle: an archive that fails to write its entry', () => {
  const stores: TempStore[] = [];
  after(async () => {
    for (const t of stores) await t.dispose();
  });

  async function oldThread(t: TempStore, clock: { now: number }, bytes: number): Promise<ThreadID> {
    const th = await t.store.createThread({ title: 'old' });
    await t.store.append(th.id, { type: 'user:message', message: { content: randomBytes(bytes).toString('base64') } });
    clock.now += 40 * DAY;
    return th.id;
  }

  async function assertActive(t: TempStore, id: ThreadID): Promise<void> {
    const listed = (await t.store.listThreads()).threads.find((x) => x.id === id);
    assert.ok(listed, 'still listed');
    assert.equal(listed.archived, undefined, 'the list does not show it archived');
    assert.equal((await t.store.getThread(id))?.archived, undefined, 'the thread is not archived');
    const types = (await t.store.history(id)).map((op) => op.type);
    assert.deepEqual(types.slice(-2), ['archive', 'restore'], 'the archive op is followed by a restore');
    await t.store.append(id, { type: 'user:message', message: { content: 'still writable' } });
  }

  test('an unusable archive folder: skipped with the reason, the thread stays active', async () => {
    const clock = { now: Date.UTC(2024, 0, 1) };
    const t = await tempStore({ now: () => clock.now });
    stores.push(t);
    const id = await oldThread(t, clock, 1000);
    writeFileSync(join(t.dir, 'archive'), 'a file where the archive folder should be');
    const r = await t.store.archiveInactiveThreads();
    assert.deepEqual(r.archived, []);
    assert.equal(r.skipped.length, 1);
    assert.equal(r.skipped[0]!.id, id);
    await assertActive(t, id);

    rmSync(join(t.dir, 'archive'));
    clock.now += 40 * DAY;
    const again = await t.store.archiveInactiveThreads();
    assert.deepEqual(again.archived, [id], 'a later run archives it');
    assert.ok((await t.store.getThread(id))?.archived);
  });

  test('a full disk under the archive folder: skipped with ENOSPC, the thread stays active', async (ctx) => {
    const clock = { now: Date.UTC(2024, 0, 1) };
    const t = await tempStore({ now: () => clock.now });
    stores.push(t);
    const dir = join(t.dir, 'archive');
    mkdirSync(dir);
    const why = mountTmpfs(dir, '64k');
    if (why) {
      console.log(`skipped: ${why}`);
      return ctx.skip(why);
    }
    try {
      const id = await oldThread(t, clock, 400_000);
      const r = await t.store.archiveInactiveThreads();
      assert.deepEqual(r.archived, []);
      assert.match(r.skipped[0]?.reason ?? '', /ENOSPC|no space/i);
      await assertActive(t, id);
      assert.deepEqual(execFileSync('ls', ['-A', dir]).toString().trim(), '', 'no partial entry or temp file is left');
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
