/**
 * Hostile and odd requests at a real `skein serve`: content codings it does not read are 415 (not
 * taken for plain bytes), a non-Bearer Authorization says what is wrong, `limit` errors name the
 * range they check, and a client that disconnects mid-request is not logged as a server error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { api, useServerProcess, type ServerProcess } from '../helpers/sync-server.js';

describe('hostile requests', () => {
  let server!: ServerProcess;
  let token!: string;
  useServerProcess('hostile', [], (s, t) => {
    server = s;
    token = t;
  });

  const push = { type: 'push', protocol: 1, clientId: 'x', threads: [] };
  const post = (encoding: string, body: Buffer) =>
    api(server.url, token, '/v1/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body });

  test('Content-Encoding deflate, br and "gzip, gzip" are 415; gzip (any case) is read', async () => {
    const json = Buffer.from(JSON.stringify(push));
    for (const [encoding, body] of [
      ['deflate', deflateSync(json)],
      ['br', json],
      ['gzip, gzip', gzipSync(gzipSync(json))],
      ['x-unknown', json],
    ] as const) {
      const r = await post(encoding, body);
      assert.equal(r.status, 415, `${encoding}: ${JSON.stringify(r.body)}`);
      assert.match((r.body as { error: { message: string } }).error.message, /Content-Encoding .* is not supported/);
    }
    assert.equal((await post('gzip', gzipSync(json))).status, 200);
    assert.equal((await post('GZIP', gzipSync(json))).status, 200);
    assert.equal((await post('identity', json)).status, 200);
  });

  test('Basic authorization says that only Bearer is accepted; no header says how to send one', async () => {
    const basic = await api(server.url, undefined, '/v1/threads', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.match((basic.body as { error: { message: string } }).error.message, /"Basic" authorization scheme is not supported.*Bearer/);
    const none = await api(server.url, undefined, '/v1/threads');
    assert.match((none.body as { error: { message: string } }).error.message, /missing bearer token/);
    const bad = await api(server.url, 'skn_nope', '/v1/threads');
    assert.match((bad.body as { error: { message: string } }).error.message, /invalid token/);
  });

  test('limit errors name the range checked', async () => {
    for (const path of ['/v1/threads?limit=0', '/v1/threads?limit=1001']) {
      const r = await api(server.url, token, path);
      assert.equal(r.status, 400, path);
      assert.match((r.body as { error: { message: string } }).error.message, /limit: must be an integer from 1 to 1000/, path);
    }
  });

  test('a client that disconnects mid-body is not logged as a server error', async () => {
    const before = server.stderr();
    const { port } = new URL(server.url);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => {
          s.write(`POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"type":"push",`);
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 50);
        });
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await api(server.url, token, '/v1/threads')).status, 200, 'still serving');
    assert.equal(server.stderr().slice(before.length), '', 'nothing logged');
  });
});
