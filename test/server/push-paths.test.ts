/**
 * A push is taken two ways: straight from Node's request by the HTTP server (push-listener.ts)
 * and by the app's route (`app.request`, Hono). Both answer the same requests alike: stored ops,
 * a conflict, a bad body, no token; and the push metrics count each.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openStore } from '../../src/index.js';
import { createApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/node.js';
import { SqliteServerStorage } from '../../src/server/server-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'skein-push-paths-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the direct push path and the app route give the same answers', async () => {
  const local = await openStore({ dir: join(dir, 'local') });
  const thread = await local.createThread({ title: 't' });
  await local.append(thread.id, { type: 'user:message', message: { content: 'hello' } });
  await local.append(thread.id, { type: 'assistant:message', message: { content: 'x'.repeat(3000) } });
  const ops = await local.history(thread.id);
  await local.close();

  const httpStorage = new SqliteServerStorage(join(dir, 'http'));
  const appStorage = new SqliteServerStorage(join(dir, 'app'));
  const server = await startServer({ storage: httpStorage, port: 0 });
  const { app, metrics } = createApp({ storage: appStorage });
  const tokens = { http: await httpStorage.createToken('ws'), app: await appStorage.createToken('ws') };
  try {
    const requests: { body: string; token?: boolean; cursor?: string }[] = [
      { body: JSON.stringify({ clientId: 'c', threads: [{ id: thread.id, baseVersion: 0, ops: ops.slice(0, 2) }] }), cursor: '0' },
      // Stale base: a conflict carrying the server's op (an answer over 1 KiB, gzipped for both).
      { body: JSON.stringify({ clientId: 'c', threads: [{ id: thread.id, baseVersion: 1, ops: [{ ...ops[2]!, v: 2 }] }] }) },
      { body: JSON.stringify({ clientId: 'c', threads: [{ id: thread.id, baseVersion: 2, ops: ops.slice(2) }] }), cursor: '2' },
      { body: JSON.stringify({ clientId: 'c', threads: [{ id: thread.id, baseVersion: 2, ops: [{ ...ops[2]!, v: 'x' }] }] }) },
      { body: '{"clientId": ' },
      { body: JSON.stringify({ clientId: 'c', threads: [] }), token: false },
    ];
    for (const r of requests) {
      const headers = (token: string): Record<string, string> => ({
        'content-type': 'application/json',
        'accept-encoding': 'gzip',
        ...(r.token !== false && { authorization: `Bearer ${token}` }),
        ...(r.cursor !== undefined && { 'skein-pull-cursor': r.cursor }),
      });
      const viaHttp = await fetch(`${server.url}/v1/sync/push`, { method: 'POST', headers: headers(tokens.http), body: r.body });
      const viaApp = await app.request('/v1/sync/push', { method: 'POST', headers: headers(tokens.app), body: r.body });
      assert.equal(viaHttp.status, viaApp.status, r.body);
      assert.equal(viaHttp.headers.get('content-type'), viaApp.headers.get('content-type'));
      assert.equal(viaHttp.headers.get('www-authenticate'), viaApp.headers.get('www-authenticate'));
      // fetch unzips; app.request hands the bytes as sent.
      const appBytes = Buffer.from(await viaApp.arrayBuffer());
      const appJson: unknown = JSON.parse((viaApp.headers.get('content-encoding') === 'gzip' ? gunzipSync(appBytes) : appBytes).toString('utf8'));
      assert.deepEqual(await viaHttp.json(), appJson, r.body);
    }
    const metricsText = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metricsText, /skein_http_requests_total\{route="\/v1\/sync\/push",status="200"\} 4/);
    assert.match(metricsText, /skein_http_requests_total\{route="\/v1\/sync\/push",status="400"\} 1/);
    assert.match(metricsText, /skein_http_requests_total\{route="\/v1\/sync\/push",status="401"\} 1/);
    assert.match(metricsText, /skein_sync_pushed_ops_total 3/);
    assert.match(metrics.render(), /skein_sync_pushed_ops_total 3/);
  } finally {
    await server.close();
    await appStorage.close();
  }
});
