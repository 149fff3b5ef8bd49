/**
 * A workspace of multi-MB ops: pull pages are capped by bytes (an op larger than the cap goes
 * alone), so a fresh device catches up page by page instead of asking for one answer that holds
 * everything (which, past 512 MB, no server can build). Also: pull `limit` out of range is a
 * VALIDATION error that names the range.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { api, useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { assertConverged, openDevice } from '../helpers/sync-devices.js';

const CAP = 5_000_000;

describe('pull pages capped by bytes', () => {
  let server!: ServerProcess;
  let token!: string;
  const cleanup = useServerProcess('big', ['--max-pull-bytes', String(CAP)], (s, t) => {
    server = s;
    token = t;
  });

  test('a fresh device catches up on many multi-MB ops, one bounded page at a time', async () => {
    const writer = await openDevice('big-writer', server.url, token, { memory: true });
    cleanup.push(() => writer.close());
    const sizes = [2_000_000, 2_000_000, 6_000_000, 1_500_000, 2_500_000, 2_000_000, 3_000_000, 2_000_000];
    const threads = [await writer.store.createThread({ title: 'big a' }), await writer.store.createThread({ title: 'big b' })];
    await writer.store.sync.now();
    for (const [i, size] of sizes.entries()) {
      // Random text: gzip on the wire cannot shrink it, as with real tool output.
      const content = randomBytes(size * 0.75).toString('base64');
      await writer.store.append(threads[i % 2]!.id, { type: 'assistant:message', message: { content } });
      const r = await writer.store.sync.now();
      assert.equal(r.pushed, 1, `op ${i} pushed`);
    }

    const recorder = await startHttpRecorder(server.url);
    cleanup.push(() => recorder.close());
    const fresh = await openDevice('big-fresh', recorder.url, token, { memory: true });
    cleanup.push(() => fresh.close());
    const r = await fresh.store.sync.now();
    assert.equal(r.failed, 0);
    assert.equal(r.pulled, 2 + sizes.length);

    const pulls = recorder.requests.filter((q) => q.path.startsWith('/v1/sync/pull'));
    assert.ok(pulls.length >= 6, `caught up over several pages (${pulls.length})`);
    for (const p of pulls) {
      const body = p.response!.body as { changes: { ops: unknown[] }[] };
      const ops = body.changes.flatMap((c) => c.ops);
      const bytes = ops.reduce((n: number, op) => n + Buffer.byteLength(JSON.stringify(op)), 0);
      assert.ok(bytes <= CAP || ops.length === 1, `a page holds ${bytes} bytes in ${ops.length} ops: over the cap only when one op is larger`);
    }
    await assertConverged([writer, fresh], server.url, token);
  });

  test('pull limit: 0 and over 5000 are VALIDATION errors naming the range', async () => {
    for (const limit of ['0', '5001', 'x']) {
      const r = await api(server.url, token, `/v1/sync/pull?cursor=0&limit=${limit}`);
      assert.equal(r.status, 400, limit);
      assert.match((r.body as { error: { message: string } }).error.message, /limit: must be an integer from 1 to 5000/);
    }
    assert.equal((await api(server.url, token, '/v1/sync/pull?cursor=0&limit=1')).status, 200);
  });
});
