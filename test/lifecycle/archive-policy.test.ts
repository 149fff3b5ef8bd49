import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store, type ThreadID } from '../../src/index.js';
import { replayView } from '../../src/store/replay.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';

const DAY = 86_400_000;

describe('lifecycle: which threads are archived, and how', () => {
  let t: TempStore | undefined;
  const stores: Store[] = [];
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
    for (const s of stores.splice(0)) await s.close();
  });

  test('recent threads and threads held by a writer are left active; the held one is reported', async () => {
    let clock = Date.UTC(2024, 0, 1);
    t = await tempStore({ now: () => clock });
    const s = t.store;
    const old = await s.createThread({ title: 'old' });
    const held = await s.createThread({ title: 'held' });
    clock += 20 * DAY;
    const recent = await s.createThread({ title: 'recent' });
    clock += 20 * DAY;
    const writer = await s.acquireWriter(held.id);
    const r = await s.archiveInactiveThreads();
    assert.deepEqual(r.archived, [old.id]);
    assert.deepEqual(r.skipped, [{ id: held.id, reason: 'held by a writer' }]);
    await assert.rejects(s.acquireWriter(old.id), (e: { code?: string; message?: string }) => e.code === 'ARCHIVED' && /archived/.test(e.message ?? ''));
    assert.deepEqual((await s.history(old.id)).map((op) => op.type), ['thread:create', 'archive'], 'the refused writer wrote nothing');
    assert.equal((await s.info(recent.id))?.archived, undefined);
    assert.equal((await s.info(held.id))?.archived, undefined, 'a skipped thread gets no archive op');
    await writer.apply({ type: 'user:message', message: { content: 'the writer still writes' } });
    await writer.dispose();
    const r2 = await s.archiveInactiveThreads({ olderThanMs: 10 * DAY });
    assert.deepEqual(r2.archived, [recent.id], 'the held thread has been active since, so it stays');
  });

  test('sub-agent threads follow the persistence policy: kept locally they are archived, ephemeral ones are not', async () => {
    let clock = Date.UTC(2024, 0, 1);
    t = await tempStore({ now: () => clock });
    const main = await t.store.createThread({ title: 'main' });
    const child = await t.store.spawnSubAgentThread(main.id, 'look into it');
    const mem = await openStore({ dir: ':memory:', policies: { subagent: 'ephemeral' }, now: () => clock });
    stores.push(mem);
    const memMain = await mem.createThread();
    const memChild = await mem.spawnSubAgentThread(memMain.id, 'task');
    clock += 31 * DAY;
    assert.deepEqual(new Set((await t.store.archiveInactiveThreads()).archived), new Set([main.id, child.id]));
    const r = await mem.archiveInactiveThreads();
    assert.deepEqual(r.archived, [memMain.id], 'the ephemeral sub-agent is not archived');
    assert.equal((await mem.info(memChild.id))?.archived, undefined);
    const back = await mem.restoreThread(memMain.id);
    assert.deepEqual(back.childThreadIDs, [memChild.id]);
  });

  test('a memory store archives and restores in memory', async () => {
    let clock = Date.UTC(2024, 0, 1);
    const s = await openStore({ dir: ':memory:', now: () => clock });
    stores.push(s);
    const id0 = (await s.createThread()).id;
    await s.append(id0, { type: 'user:message', message: { content: 'kept', resourceUsage: { model: 'm', costUSD: 1.5 } } });
    const th = (await s.getThread(id0))!;
    clock += 31 * DAY;
    assert.deepEqual((await s.archiveInactiveThreads()).archived, [th.id]);
    assert.equal((await s.usage(th.id)).costUSD, 1.5);
    assert.deepEqual((await s.getThread(th.id))?.messages, th.messages);
    const back = await s.restoreThread(th.id);
    assert.deepEqual(back.messages, th.messages);
    assert.equal((await s.usage(th.id)).costUSD, 1.5);
  });

  test('a restore stopped after the log was put back is finished by running it again', async () => {
    let clock = Date.UTC(2024, 0, 1);
    t = await tempStore({ now: () => clock });
    const id0 = (await t.store.createThread()).id;
    await t.store.append(id0, { type: 'user:message', message: { content: 'x' } });
    const th = (await t.store.getThread(id0))!;
    clock += 31 * DAY;
    await t.store.archiveInactiveThreads();
    // What a crash between reinstating the log and appending `restore` leaves: the log is back,
    // the head still says archived and the entry is still on disk.
    const ops = await t.store.history(th.id);
    await t.store['core'].backend.reinstate(th.id, ops, replayView(th.id, ops).rows);
    const back = await t.store.restoreThread(th.id);
    assert.equal(back.archived, undefined);
    assert.deepEqual(back.messages, th.messages);
    assert.deepEqual((await t.store.history(th.id)).map((op) => op.type).slice(-2), ['archive', 'restore']);
    assert.equal((await t.store.diskUsage()).archive.entries, 0, 'the leftover entry is gone');
  });

  test('bad options are refused', async () => {
    const s = await openStore({ dir: ':memory:' });
    stores.push(s);
    for (const bad of [{ olderThanMs: -1 }, { olderThanMs: 1.5 }, { olderThanMs: 'x' }, { onProgress: 'x' }])
      await assert.rejects(s.archiveInactiveThreads(bad as never), /olderThanMs|onProgress/);
    await assert.rejects(s.restoreThread('x' as ThreadID), /threadId/);
  });
});
