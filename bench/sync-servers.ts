/**
 * The servers the sync benchmark talks to over loopback: the skein server on SQLite or on
 * PostgreSQL (a unique schema, dropped on close), and one deliberately naive baseline server
 * that stores whole documents in a Map, relays pokes over SSE and appends message rows with one
 * INSERT per request. Plus a tiny HTTP client that counts body bytes the way skein's client does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Delta } from '../src/index.js';
import { startServer } from '../src/server/node.js';
import { openPostgresServerStorage } from '../src/server/postgres-storage.js';
import { SqliteServerStorage, type ServerStorage } from '../src/server/server-storage.js';
import { RawBaseline, rawJson } from './fixtures.js';
import { tempDir } from './helpers.js';

/** Where the PostgreSQL runs connect (`SKEIN_PG_URL`, `skip` to leave them out). */
export const PG_URL = process.env.SKEIN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A running skein server and a way to mint tokens and count what it stored. */
export interface SkeinServer {
  url: string;
  storage: ServerStorage;
  token(workspace: string): Promise<string>;
  /** Ops stored in a workspace (its highest global sequence number). */
  opCount(workspace: string): Promise<number>;
  close(): Promise<void>;
}

/** Starts the skein server on port 0 over SQLite in a temp dir, or PostgreSQL in a fresh schema. */
export async function startSkeinServer(kind: 'sqlite' | 'postgres'): Promise<SkeinServer> {
  let storage: ServerStorage;
  let drop = async () => {};
  if (kind === 'sqlite') storage = new SqliteServerStorage(tempDir('sync-server'));
  else {
    const schema = `skein_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
    storage = await openPostgresServerStorage({ connectionString: PG_URL, schema });
    drop = () => dropSchema(schema);
  }
  const server = await startServer({ storage, port: 0 });
  return {
    url: server.url,
    storage,
    token: (ws) => storage.createToken(ws),
    opCount: async (ws) => (await storage.backend(ws)).maxSeq(),
    async close() {
      try {
        await server.close();
      } finally {
        await drop();
      }
    },
  };
}

/** Drops a benchmark's Postgres schema (its own connection: the pools may be closed by then). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Where the naive server's `/append` puts rows: a raw SQLite table or a raw PostgreSQL table. */
export interface AppendSink {
  insert(threadId: string, delta: Delta): Promise<void>;
  rows(): Promise<number>;
  close(): Promise<void>;
}

/** One autocommitted INSERT per message into the raw SQLite table (synchronous FULL). */
export function sqliteSink(): AppendSink {
  const raw = new RawBaseline(join(tempDir('sync-raw-server'), 'raw.db'), 'full');
  return {
    insert: async (threadId, delta) => void raw.insert(threadId, delta),
    rows: async () => (raw.db.prepare('SELECT count(*) AS n FROM msgs').get() as { n: number }).n,
    close: async () => raw.close(),
  };
}

/** One INSERT per message into a raw PostgreSQL table (id bigserial, thread_id, json) in a fresh schema. */
export async function postgresSink(): Promise<AppendSink> {
  const schema = `skein_bench_raw_${process.pid}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".msgs (id BIGSERIAL PRIMARY KEY, thread_id TEXT NOT NULL, json TEXT NOT NULL);
    CREATE INDEX ON "${schema}".msgs (thread_id);`);
  return {
    insert: async (threadId, delta) => void (await pool.query(`INSERT INTO "${schema}".msgs (thread_id, json) VALUES ($1, $2)`, [threadId, rawJson(delta)])),
    rows: async () => Number(((await pool.query(`SELECT count(*) AS n FROM "${schema}".msgs`)).rows[0] as { n: string }).n),
    async close() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** The naive baseline server. */
export interface NaiveServer {
  url: string;
  /** Documents held, by path. */
  readonly docs: Map<string, { body: Buffer; encoding: string | undefined }>;
  close(): Promise<void>;
}

/**
 * `PUT /doc/:id` keeps the body as sent (gzipped or not) in a Map and `GET /doc/:id` answers it
 * back; `GET /events` is an SSE stream and `POST /poke` writes its body to every open stream;
 * `POST /append` with `{ threadId, delta }` inserts one row into `sink`.
 */
export async function startNaiveServer(sink?: AppendSink): Promise<NaiveServer> {
  const docs = new Map<string, { body: Buffer; encoding: string | undefined }>();
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      if (req.method === 'PUT' && path.startsWith('/doc/')) {
        docs.set(path, { body, encoding: req.headers['content-encoding'] });
        res.writeHead(204).end();
      } else if (req.method === 'GET' && path.startsWith('/doc/')) {
        const doc = docs.get(path);
        if (!doc) res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'application/json', ...(doc.encoding && { 'content-encoding': doc.encoding }) }).end(doc.body);
      } else if (req.method === 'GET' && path === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(': connected\n\n');
        streams.add(res);
        res.on('close', () => streams.delete(res));
      } else if (req.method === 'POST' && path === '/poke') {
        for (const s of streams) s.write(`data: ${body.toString('utf8')}\n\n`);
        res.writeHead(204).end();
      } else if (req.method === 'POST' && path === '/append' && sink) {
        const { threadId, delta } = JSON.parse(body.toString('utf8')) as { threadId: string; delta: Delta };
        sink.insert(threadId, delta).then(
          () => res.writeHead(204).end(),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    docs,
    async close() {
      for (const s of streams) s.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sink?.close();
    },
  };
}

/** Body bytes both ways, as skein's client counts them (headers left out on both sides). */
export interface WireBytes {
  sent: number;
  received: number;
}

/** One HTTP request on the default (keep-alive) agent; adds body bytes to `bytes`. */
export function call(
  method: string,
  url: string,
  body: Buffer | undefined,
  headers: Record<string, string>,
  bytes: WireBytes,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body && { 'content-length': String(body.length) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out = Buffer.concat(chunks);
        bytes.received += out.length;
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`${method} ${url}: HTTP ${res.statusCode} ${out.toString('utf8')}`));
        else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: out });
      });
    });
    req.on('error', reject);
    if (body) bytes.sent += body.length;
    req.end(body);
  });
}
