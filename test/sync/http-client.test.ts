/**
 * The sync client against a scripted server on loopback: Server-Sent Events are read by a real
 * SSE parser (CRLF line ends, `id:` and `retry:` fields, comments, events split across packets),
 * a refusal's code is the one the server's body names, and an answer that does not match the
 * protocol's schema is a SERVER error (retried later), never taken as data. Request bodies go as
 * gzip until the server names brotli in an answer's Accept-Encoding, and as brotli after that.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { EncodedJson } from '../../src/sync/protocol.js';
import { SyncHttpClient } from '../../src/sync/http-client.js';
import { newThreadId, SkeinError } from '../../src/index.js';

/** A loopback server whose every request is answered by `handle`. */
async function serve(handle: (path: string, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => handle(req.url ?? '/', res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('sync client', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  test('events: CRLF, id and retry fields, comments and split packets are read as the pokes they are', async () => {
    const id = newThreadId();
    const { url, server } = await serve((_path, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': connected\r\n\r\n');
      res.write(`retry: 1000\r\nid: 7\r\nevent: poke\r\ndata: {"type":"poke","id":"${id}",`);
      setTimeout(() => {
        res.write('"v":3,"cursor":12}\r\n\r\n');
        res.write('event: poke\ndata: {"type":"poke",\ndata: "cursor":13}\n\n');
        res.end();
      }, 20);
    });
    servers.push(server);
    const client = new SyncHttpClient({ url, token: 't' });
    const pokes: unknown[] = [];
    await client.events(0, (p) => pokes.push(p), new AbortController().signal);
    assert.deepEqual(pokes, [
      { type: 'poke', id, v: 3, cursor: 12 },
      { type: 'poke', cursor: 13 },
    ]);
  });

  test("a refusal carries the code the server's body names; a body without one falls back to the status", async () => {
    const { url, server } = await serve((path, res) => {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(path.includes('named') ? JSON.stringify({ error: { code: 'ARCHIVED', message: 'thread is archived' } }) : '{}');
    });
    servers.push(server);
    const client = new SyncHttpClient({ url, token: 't' });
    await assert.rejects(client.threadOps(newThreadId(), 0), (e: SkeinError) => e.code === 'VERSION_CONFLICT');
    await assert.rejects(client.pull(0, 10, 'named'), (e: SkeinError) => e.code === 'ARCHIVED' && /archived/.test(e.message));
  });

  test('an answer that breaks the protocol schema is a SERVER error, not data', async () => {
    const { url, server } = await serve((path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (path.startsWith('/v1/sync/pull')) res.end(JSON.stringify({ type: 'pull:result', protocol: 1, cursor: -1, changes: [], hasMore: false }));
      else if (path.startsWith('/v1/sync/push')) res.end(JSON.stringify({ type: 'push:result', protocol: 1, threads: [{ id: 'x', status: 'ok', v: 1 }] }));
      else res.end(JSON.stringify({ id: 'T-nope', fromVersion: 0, toVersion: 1, ops: [] }));
    });
    servers.push(server);
    const client = new SyncHttpClient({ url, token: 't' });
    for (const call of [client.pull(0), client.push({ type: 'push', protocol: 1, clientId: 'c', threads: [] }), client.threadOps(newThreadId(), 0)])
      await assert.rejects(call, (e: unknown) => e instanceof SkeinError && e.code === 'SERVER' && /not a/.test(e.message));
  });

  test('push bodies go as gzip to a server that does not name brotli, large ones as brotli once one does; each is the same JSON', async () => {
    for (const names of [false, true]) {
      const seen: { coding: string | undefined; json: unknown }[] = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const coding = req.headers['content-encoding'];
          const body = Buffer.concat(chunks);
          const json = JSON.parse((coding === 'br' ? brotliDecompressSync(body) : coding === 'gzip' ? gunzipSync(body) : body).toString('utf8')) as unknown;
          seen.push({ coding, json });
          res.writeHead(200, { 'content-type': 'application/json', ...(names && { 'accept-encoding': 'br, gzip' }) });
          res.end(JSON.stringify({ type: 'push:result', protocol: 1, threads: [] }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      const client = new SyncHttpClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' });
      const large = JSON.stringify({ type: 'push', protocol: 1, clientId: 'c', threads: [], pad: 'x'.repeat(40_000) });
      const small = JSON.stringify({ type: 'push', protocol: 1, clientId: 'c', threads: [], pad: 'x'.repeat(5000) });
      const tiny = JSON.stringify({ type: 'push', protocol: 1, clientId: 'c', threads: [] });
      for (const text of [large, large, small, tiny]) await client.push(new EncodedJson(text));
      // A small body goes as gzip even to a server that reads brotli; a tiny one as it is.
      assert.deepEqual(
        seen.map((x) => x.coding),
        names ? ['gzip', 'br', 'gzip', undefined] : ['gzip', 'gzip', 'gzip', undefined],
      );
      assert.deepEqual(
        seen.map((x) => x.json),
        [large, large, small, tiny].map((t) => JSON.parse(t) as unknown),
      );
    }
  });
});
