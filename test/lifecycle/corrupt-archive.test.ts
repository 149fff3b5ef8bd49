import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkeinError, type Thread, type ThreadID } from '../../src/index.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';

const DAY = 86_400_000;

describe('lifecycle: a corrupted archive entry', () => {
  let t: TempStore;
  let clock = Date.UTC(2024, 0, 1);
  const ids: ThreadID[] = [];
  const originals = new Map<ThreadID, Thread>();
  before(async () => {
    t = await tempStore({ now: () => clock });
    for (let i = 0; i < 4; i++) {
      const th = await t.store.createThread({ title: `t${i}` });
      await t.store.append(th.id, [
        { type: 'user:message', message: { content: `hello ${i}` } },
        { type: 'assistant:message', message: { content: 'x'.repeat(2000), resourceUsage: { model: 'm', inputTokens: 9 } } },
      ]);
      ids.push(th.id);
      originals.set(th.id, (await t.store.getThread(th.id))!);
    }
    clock += 31 * DAY;
    const r = await t.store.archiveInactiveThreads();
    assert.equal(r.archived.length, 4);
  });
  after(() => t.dispose());

  const entry = (id: ThreadID) => join(t.dir, 'archive', `${id}.skz`);
  const corrupted = (e: unknown) => {
    assert.ok(e instanceof SkeinError, String(e));
    assert.match(e.message, /corrupted/);
    assert.match(e.message, /not restored/);
    return true;
  };

  async function assertStillArchived(id: ThreadID, bytes: Buffer): Promise<void> {
    assert.deepEqual(readFileSync(entry(id)), bytes, 'the entry is kept as it is');
    const listed = (await t.store.listThreads()).threads.find((x) => x.id === id);
    assert.ok(listed?.archived, 'the thread is still archived');
    assert.deepEqual(await t.store.history(id).catch(() => 'unreadable'), 'unreadable');
    assert.equal((await t.store.usage(id)).inputTokens, 9, 'its usage still counts');
  }

  test('a flipped byte is detected by the checksum, reported, and the thread is not restored', async () => {
    const id = ids[0]!;
    const bytes = readFileSync(entry(id));
    bytes[bytes.length - 20]! ^= 0x01;
    writeFileSync(entry(id), bytes);
    await assert.rejects(t.store.restoreThread(id), corrupted);
    await assert.rejects(t.store.getThread(id), corrupted);
    await assertStillArchived(id, bytes);
  });

  test('a truncated entry and a damaged header are reported the same way', async () => {
    const cut = readFileSync(entry(ids[1]!)).subarray(0, 100);
    writeFileSync(entry(ids[1]!), cut);
    await assert.rejects(t.store.restoreThread(ids[1]!), corrupted);
    await assertStillArchived(ids[1]!, cut);

    const header = readFileSync(entry(ids[2]!));
    header.write('X', 0);
    writeFileSync(entry(ids[2]!), header);
    await assert.rejects(t.store.restoreThread(ids[2]!), corrupted);
    await assertStillArchived(ids[2]!, header);
    const du = await t.store.diskUsage();
    assert.deepEqual(du.archive.corrupted, [ids[2]!], 'du points at the entry it cannot read');
  });

  test('an entry that is a directory is reported as corrupted, not as a raw EISDIR', async () => {
    const id = ids[0]!;
    const bytes = readFileSync(entry(id));
    rmSync(entry(id));
    mkdirSync(entry(id));
    await assert.rejects(t.store.restoreThread(id), (e: unknown) => corrupted(e) && /is a directory/.test((e as Error).message));
    await assert.rejects(t.store.getThread(id), corrupted);
    rmSync(entry(id), { recursive: true });
    writeFileSync(entry(id), bytes);
  });

  test('an intact entry beside them restores exactly', async () => {
    const id = ids[3]!;
    const restored = await t.store.restoreThread(id);
    assert.deepEqual(restored.messages, originals.get(id)!.messages);
    assert.ok(!existsSync(entry(id)));
  });

  test('a missing entry is NOT_FOUND; a thread that is not archived is refused', async () => {
    rmSync(entry(ids[0]!));
    await assert.rejects(t.store.restoreThread(ids[0]!), (e: unknown) => e instanceof SkeinError && e.code === 'NOT_FOUND' && /archive entry/.test(e.message));
    assert.ok((await t.store.info(ids[0]!))?.archived, 'still archived, not silently emptied');
    await assert.rejects(t.store.restoreThread(ids[3]!), (e: unknown) => e instanceof SkeinError && e.code === 'VALIDATION');
    const th = await t.store.createThread();
    await assert.rejects(t.store.restoreThread(th.id), (e: unknown) => e instanceof SkeinError && e.code === 'VALIDATION');
    await assert.rejects(t.store.restoreThread('T-00000000-0000-7000-8000-000000000000'), (e: unknown) => e instanceof SkeinError && e.code === 'NOT_FOUND');
  });
});
