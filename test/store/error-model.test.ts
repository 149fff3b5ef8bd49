/**
 * One error model: a busy thread is always a `ThreadBusyError` (THREAD_BUSY, 423), whichever
 * path finds it; an archived thread refuses writes and pages with ARCHIVED (409); a body over a
 * limit is PAYLOAD_TOO_LARGE (413). Codes map to statuses through the one table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ThreadBusyError, SkeinError, httpStatusOf, openStore } from '../../src/index.js';
import { tempDir } from '../helpers/store-fixtures.js';

test('THREAD_BUSY is a ThreadBusyError from the store and from a second process-like store', async () => {
  const tmp = tempDir();
  const a = await openStore({ dir: tmp.dir });
  const b = await openStore({ dir: tmp.dir });
  try {
    const t = await a.createThread();
    const w = await a.acquireWriter(t.id);
    for (const attempt of [a.acquireWriter(t.id), b.acquireWriter(t.id), b.append(t.id, { type: 'title', value: 'x' })])
      await assert.rejects(attempt, (e: unknown) => e instanceof ThreadBusyError && e.code === ErrorCode.THREAD_BUSY);
    await w.dispose();
    assert.equal(httpStatusOf(ErrorCode.THREAD_BUSY), 423);
  } finally {
    await a.close();
    await b.close();
    tmp.cleanup();
  }
});

test('an archived thread refuses writers, writes and pages with ARCHIVED (409), and says how to restore it', async () => {
  let clock = Date.UTC(2024, 0, 1);
  const s = await openStore({ dir: ':memory:', now: () => clock });
  try {
    const t = await s.createThread();
    clock += 31 * 86_400_000;
    await s.archiveInactiveThreads();
    for (const attempt of [s.acquireWriter(t.id), s.append(t.id, { type: 'title', value: 'x' }), s.loadPage(t.id)])
      await assert.rejects(attempt, (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.ARCHIVED && e.message.includes(`skein restore ${t.id}`));
    assert.equal(httpStatusOf(ErrorCode.ARCHIVED), 409);
    assert.equal(httpStatusOf(ErrorCode.PAYLOAD_TOO_LARGE), 413);
  } finally {
    await s.close();
  }
});
