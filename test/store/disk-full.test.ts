/**
 * A full disk under the store: appends and file recordings fail with a SkeinError, nothing half
 * written is served, and once space is free again the store opens cleanly (doctor: ok), holds
 * every write that resolved, and takes writes again. The store lives on a small tmpfs mounted
 * for the test (root only; skipped with the reason printed otherwise).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeinError, openStore, type ThreadID } from '../../src/index.js';
import { doctorStore } from '../../src/lifecycle/doctor.js';
import { tempDir } from '../helpers/workspace.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

describe('a full disk under the store', () => {
  test('appends and recordings fail cleanly; after space is freed, every resolved write is there', async (ctx) => {
    const mnt = tempDir('full');
    const why = mountTmpfs(mnt, '4m');
    if (why) {
      console.log(`skipped: ${why}`);
      rmSync(mnt, { recursive: true, force: true });
      return ctx.skip(why);
    }
    const dir = join(mnt, 'store');
    const ws = tempDir('full-ws');
    let store: Awaited<ReturnType<typeof openStore>> | undefined;
    try {
      store = await openStore({ dir, workspace: ws });
      const t = await store.createThread({ title: 'filling' });
      // Take most of the space with a file we can delete later.
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(2_500_000));
      const resolved: string[] = [];
      let failure: unknown;
      for (let i = 0; i < 200 && failure === undefined; i++) {
        try {
          const id = `m${i}`;
          await store.append(t.id as ThreadID, { type: 'user:message', message: { id, content: randomBytes(30_000).toString('base64') } });
          resolved.push(id);
        } catch (err) {
          failure = err;
        }
      }
      assert.ok(failure !== undefined, 'the disk filled up');
      assert.ok(failure instanceof SkeinError, `a SkeinError, not ${String(failure)}`);
      assert.match(failure.message, /full|ENOSPC|space/i);
      writeFileSync(join(ws, 'f.bin'), randomBytes(1000));
      await assert.rejects(
        store.files.recordFileChange(t.id, 'op', { path: 'f.bin', type: 'modify', newContent: randomBytes(2_000_000) }),
        (e: unknown) => e instanceof SkeinError,
      );
      await store.close();

      rmSync(join(mnt, 'filler'));
      assert.equal(doctorStore(dir).ok, true, 'the database is intact');
      store = await openStore({ dir, workspace: ws });
      const th = await store.getThread(t.id);
      assert.ok(th);
      const ids = th.messages.map((m) => m.id);
      for (const id of resolved) assert.ok(ids.includes(id), `${id} resolved, so it is there`);
      await store.append(t.id, { type: 'user:message', message: { content: 'space again' } });
      await store.files.recordFileChange(t.id, 'op2', { path: 'f.bin', type: 'modify', newContent: 'small' });
      await store.close();
      store = undefined;
    } finally {
      await store?.close().catch(() => undefined);
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
