/**
 * HTTP on loopback for engine tests: `startHttpRecorder` forwards every request to a real server
 * and records what the client sent (method, path, decoded JSON body); `startFakeServer` answers
 * with a test's handler instead, for the few behaviours a real server will not show on demand
 * (a 503 with Retry-After, a rejected thread).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** One request as the client sent it. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The JSON body (unpacked from gzip or brotli), when there was one. */
  body: unknown;
  /** When it arrived (Date.now()). */
  at: number;
  /** The answer's status and JSON body (unpacked), once it came back whole (recorder only). */
  response?: { status: number; body: unknown };
}

function decode(raw: Buffer, encoding: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  try {
    const text = (encoding === 'gzip' ? gunzipSync(raw) : encoding === 'br' ? brotliDecompressSync(raw) : raw).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<{ raw: Buffer; json: unknown }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return { raw, json: decode(raw, req.headers['content-encoding']) };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** A recording proxy. */
export interface HttpRecorder {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Forwards to `target` and records each request and, once it is whole, its answer. `onRequest`
 * sees each request before it is forwarded (e.g. to kill the server while it is in flight).
 */
export async function startHttpRecorder(target: string, onRequest?: (req: RecordedRequest) => void): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const at = Date.now();
    const { raw, json } = await readBody(req);
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', body: json, at };
    requests.push(rec);
    onRequest?.(rec);
    const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (!(req.url ?? '').startsWith('/v1/events')) {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => (rec.response = { status: r.statusCode ?? 0, body: decode(Buffer.concat(chunks), r.headers['content-encoding']) }));
      }
      r.on('error', () => res.destroy());
      r.on('aborted', () => res.destroy());
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(raw);
  });
  return { url: await listen(server), requests, close: closer(server) };
}

/** What a fake server's handler answers. */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A fake server. */
export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Answers every request with `handler(request)` (it may take its time), recording each. */
export async function startFakeServer(handler: (req: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const { json } = await readBody(req);
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', body: json, at: Date.now() };
    requests.push(rec);
    const answer = await handler(rec);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  return { url: await listen(server), requests, close: closer(server) };
}
