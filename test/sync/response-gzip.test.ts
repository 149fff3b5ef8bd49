/**
 * Answers on the wire, against a real `skein serve`: a JSON answer of 1 KiB or more goes
 * gzip-compressed to a client that accepts gzip (and unzips to the same JSON as the plain one),
 * a small one and one for a client that does not accept gzip go as they are. A large pull page
 * goes as brotli to a client that takes it (as skein's does), gzip to one that takes only gzip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice, type Device } from '../helpers/sync-devices.js';

/** A raw GET: the bytes as sent and the headers, nothing unzipped on the way. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('response compression', () => {
  let data: string;
  let server: ServerProcess;
  let token: string;
  let device: Device;

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    server = await startServerProcess({ data });
    token = await server.token('gzip');
    device = await openDevice('gzip', server.url, token, { memory: true });
  });
  after(async () => {
    await device.close();
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test('large JSON answers are gzipped for clients that accept it; small ones and other clients get plain JSON', async () => {
    const big = await device.store.createThread({ title: 'big' });
    await device.store.append(big.id, { type: 'user:message', message: { content: 'a line of a long message\n'.repeat(400) } });
    const small = await device.store.createThread({ title: 's' });
    await device.store.sync.now();
    const auth = { authorization: `Bearer ${token}` };

    const zipped = await rawGet(`${server.url}/v1/threads/${big.id}`, { ...auth, 'accept-encoding': 'gzip' });
    const plain = await rawGet(`${server.url}/v1/threads/${big.id}`, auth);
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(String(zipped.headers['vary']), /accept-encoding/i);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(zipped.body.length < plain.body.length / 4, `${zipped.body.length} bytes zipped vs ${plain.body.length} plain`);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
    assert.equal(JSON.parse(plain.body.toString('utf8')).id, big.id);

    const tiny = await rawGet(`${server.url}/v1/threads/${small.id}?sinceVersion=1`, { ...auth, 'accept-encoding': 'gzip' });
    assert.ok(tiny.body.length < 1024, 'a small answer');
    assert.equal(tiny.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(tiny.body.toString('utf8')).id, small.id);
  });

  test('a large pull page is brotli for a client that takes it, gzip for one that takes only gzip, the same JSON either way', async () => {
    const big = await device.store.createThread({ title: 'page' });
    await device.store.append(big.id, { type: 'user:message', message: { content: 'another line of a long message\n'.repeat(3000) } });
    await device.store.sync.now();
    const auth = { authorization: `Bearer ${token}` };
    const url = `${server.url}/v1/sync/pull?cursor=0&limit=1000`;

    const br = await rawGet(url, { ...auth, 'accept-encoding': 'gzip, br' });
    const gz = await rawGet(url, { ...auth, 'accept-encoding': 'gzip' });
    const plain = await rawGet(url, auth);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(plain.headers['content-encoding'], undefined);
    const page = JSON.parse(plain.body.toString('utf8')) as { changes: { id: string }[] };
    assert.ok(page.changes.some((c) => c.id === big.id));
    assert.deepEqual(JSON.parse(brotliDecompressSync(br.body).toString('utf8')), page);
    assert.deepEqual(JSON.parse(gunzipSync(gz.body).toString('utf8')), page);
    // Every answer names the codings the server reads in request bodies.
    for (const r of [br, gz, plain]) assert.equal(r.headers['accept-encoding'], 'br, gzip');
  });
});
