/**
 * Hostile and odd requests at a real `skein serve`: content codings it does not read are 415 (not
 * taken for plain bytes), gzip and brotli are read and a body that is neither is a clear 400, a non-Bearer Authorization says what is wrong, `limit` errors name the
 * range they check, and a client that disconnects mid-request is not logged as a server error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
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

  test('Content-Encoding deflate, "gzip, gzip" and "br, gzip" are 415; gzip and br (any case) are read', async () => {
    const json = Buffer.from(JSON.stringify(push));
    for (const [encoding, body] of [
      ['deflate', deflateSync(json)],
      ['zstd', json],
      ['gzip, gzip', gzipSync(gzipSync(json))],
      ['br, gzip', gzipSync(brotliCompressSync(json))],
      ['x-unknown', json],
    ] as const) {
      const r = await post(encoding, body);
      assert.equal(r.status, 415, `${encoding}: ${JSON.stringify(r.body)}`);
      assert.match((r.body as { error: { message: string } }).error.message, /Content-Encoding .* is not supported/);
    }
    assert.equal((await post('gzip', gzipSync(json))).status, 200);
    assert.equal((await post('GZIP', gzipSync(json))).status, 200);
    assert.equal((await post('identity', json)).status, 200);
    assert.equal((await post('br', brotliCompressSync(json))).status, 200);
    assert.equal((await post('BR', brotliCompressSync(json))).status, 200);
  });

  test('a large compressed body is capped too: a gzip or brotli bomb past the default 8 MiB is 413', async () => {
    // Over 64 KiB as sent (such bodies are unpacked off the event loop): incompressible text, then 20 MiB of spaces.
    const noise = randomBytes(96 * 1024).toString('base64');
    const inflated = Buffer.from(JSON.stringify({ ...push, pad: noise + ' '.repeat(20 * 1024 * 1024) }));
    for (const [coding, bomb] of [
      ['gzip', gzipSync(inflated)],
      ['br', brotliCompressSync(inflated)],
    ] as const) {
      assert.ok(bomb.length > 64 * 1024 && bomb.length < 1024 * 1024, `${coding}: ${bomb.length} bytes as sent`);
      const r = await post(coding, bomb);
      assert.equal(r.status, 413, `${coding}: ${JSON.stringify(r.body)}`);
      assert.equal((r.body as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    }
    assert.equal((await post('br', brotliCompressSync(Buffer.from(JSON.stringify(push))))).status, 200, 'still serving');
  });

  test('a body that is not the coding it names is a 400 that says which', async () => {
    const json = Buffer.from(JSON.stringify(push));
    for (const [encoding, what] of [
      ['gzip', 'gzip'],
      ['br', 'brotli'],
    ] as const) {
      const r = await post(encoding, json);
      assert.equal(r.status, 400, `${encoding}: ${JSON.stringify(r.body)}`);
      assert.match((r.body as { error: { message: string } }).error.message, new RegExp(`not valid ${what}`));
    }
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
