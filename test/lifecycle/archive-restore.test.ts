import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Op, Thread, ThreadID, UsageReport } from '../../src/index.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';

const THREADS = 1000;
const DAY = 86_400_000;

describe('lifecycle: archive and restore 1,000 threads', () => {
  let t: TempStore;
  let clock = Date.UTC(2024, 0, 1);
  const ids: ThreadID[] = [];
  const threads = new Map<ThreadID, Thread>();
  const logs = new Map<ThreadID, Op[]>();
  const usage = new Map<ThreadID, UsageReport>();
  let recent: ThreadID;

  before(async () => {
    t = await tempStore({ now: () => clock });
    const s = t.store;
    for (let i = 0; i < THREADS; i++) {
      clock += 1000;
      const th = await s.createThread({ title: `thread ${i}`, meta: { n: i } });
      const deltas = [
        { type: 'user:message' as const, message: { content: `question ${i}` } },
        {
          type: 'assistant:message' as const,
          message: {
            content: `answer ${i}`,
            toolCalls: [{ id: `call-${i}`, name: 'edit', input: { file: `f${i}.txt` } }],
            resourceUsage: { model: i % 2 ? 'model-a' : 'model-b', inputTokens: 100 + i, outputTokens: i, costUSD: 0.001 * (i % 7) },
          },
        },
        { type: 'user:message' as const, message: { content: 'ok', toolResults: [{ toolCallId: `call-${i}`, output: 'done' }] } },
      ];
      await s.append(th.id, i % 10 === 0 ? [...deltas, { type: 'thread:truncate' as const, fromIndex: 2 }] : deltas);
      if (i % 100 === 0) {
        writeFileSync(t.at(`f${i}.txt`), `before ${i}`);
        await s.files.recordFileChange(th.id, `call-${i}`, { path: `f${i}.txt`, type: 'modify', newContent: `after ${i}` });
      }
      ids.push(th.id);
    }
    clock += 40 * DAY;
    recent = (await s.createThread({ title: 'recent' })).id;
    for (const id of ids) {
      threads.set(id, (await s.getThread(id))!);
      logs.set(id, await s.history(id));
      usage.set(id, await s.usage(id));
    }
  });
  after(() => t.dispose());

  test('archive moves every inactive thread to cold storage; they still list and count', async () => {
    const s = t.store;
    const totalBefore = await s.usage(ids[0]!);
    const progress: number[] = [];
    const result = await s.archiveInactiveThreads({ onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(result.skipped, []);
    assert.deepEqual([...result.archived].sort(), [...ids].sort());
    assert.equal(progress[0], 0);
    assert.equal(progress.at(-1), THREADS);
    assert.ok(progress.length > 2, 'progress is reported along the way');

    for (const id of ids) assert.ok(existsSync(join(t.dir, 'archive', `${id}.skz`)), `archive entry of ${id}`);
    const listed: Map<ThreadID, { archived?: number }> = new Map();
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await s.listThreads({ limit: 500, ...(cursor && { cursor }) });
      for (const th of page.threads) listed.set(th.id, th);
      cursor = page.nextCursor;
    }
    assert.equal(listed.size, THREADS + 1);
    for (const id of ids) assert.equal(listed.get(id)?.archived, clock, 'listed as archived');
    assert.equal(listed.get(recent)?.archived, undefined, 'a recent thread stays active');
    assert.deepEqual(await s.usage(ids[0]!), totalBefore, 'usage still counts');
    for (const id of ids.slice(0, 50)) assert.deepEqual(await s.usage(id), usage.get(id));

    // Read-only access from the archive.
    const sample = ids[10]!;
    const archived = await s.getThread(sample);
    assert.deepEqual(archived?.messages, threads.get(sample)!.messages);
    assert.deepEqual(await s.getThread(sample, { atVersion: threads.get(sample)!.v }), threads.get(sample));
    assert.deepEqual((await s.history(sample)).slice(0, logs.get(sample)!.length), logs.get(sample));
    await assert.rejects(s.loadPage(sample), /archived/);
    await assert.rejects(s.append(sample, { type: 'title', value: 'x' }), /archived/);
    await assert.rejects(s.files.list(sample), /archived/);

    clock += 1;
    const again = await s.archiveInactiveThreads({ olderThanMs: 0 });
    assert.deepEqual(again.archived, [recent], 'archived threads are not archived twice');
    await s.restoreThread(recent);
  });

  test('restore brings every thread and op log back deep-equal, file records included', async () => {
    const s = t.store;
    await s.close();
    await t.reopen({ now: () => clock });
    const s2 = t.store;
    for (const id of ids) {
      const restored = await s2.restoreThread(id);
      const before = threads.get(id)!;
      const log = await s2.history(id);
      assert.deepEqual(log.slice(0, before.v), logs.get(id), `op log of ${id}`);
      assert.deepEqual(
        log.slice(before.v).map((op) => op.type),
        ['archive', 'restore'],
      );
      assert.deepEqual(await s2.getThread(id, { atVersion: before.v }), before, `thread ${id} at its version`);
      const { v: _v, clock: _c, ...now } = restored;
      const { v: _v0, clock: _c0, ...then } = before;
      assert.deepEqual(now, then, `thread ${id} as it reads now`);
      assert.equal(restored.archived, undefined);
      assert.ok(!existsSync(join(t.dir, 'archive', `${id}.skz`)), 'the entry is deleted once restored');
    }
    for (const id of ids.slice(0, 50)) assert.deepEqual(await s2.usage(id), usage.get(id), 'counted once');
    const page = await s2.loadPage(ids[3]!, { limit: 2 });
    assert.deepEqual(page.messages, threads.get(ids[3]!)!.messages.slice(-2));

    const withFiles = ids[100]!;
    const records = await s2.files.list(withFiles);
    assert.equal(records.length, 1);
    writeFileSync(t.at('f100.txt'), 'after 100');
    const r = await s2.files.rollbackOperation(withFiles, 'call-100');
    assert.deepEqual(r.reverted, ['f100.txt'], 'file records and contents came back with the thread');
  });
});
