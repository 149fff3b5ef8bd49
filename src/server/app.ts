/**
 * The sync server's HTTP app (Hono): push, pull, events (SSE), thread reads, health and metrics,
 * all under `/v1` with `Authorization: Bearer <token>`; a token reads and writes only its
 * workspace. Every error is a JSON `{ error: { code, message } }` with the status of its code.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { SkeinError, ErrorCode, ValidationError, fromUnknown, httpStatusOf } from '../errors.js';
import { parseThreadId } from '../model/schema.js';
import type { ThreadID } from '../model/ids.js';
import { Store } from '../store/store.js';
import { resolvePolicies } from '../store/policy.js';
import { groupChanges, parsePushRequest, PROTOCOL_VERSION, type PullResponse, type PushResponse, type PushResult } from '../sync/protocol.js';
import { Metrics } from './metrics.js';
import { applyPushedThread } from './push.js';
import type { ServerStorage } from './server-storage.js';
import { viewerRoutes } from '../viewer/routes.js';

/** Options of the app. */
export interface AppOptions {
  storage: ServerStorage;
  /** Largest request body in bytes, compressed or not (default 8 MiB); larger is a 413. */
  maxBodyBytes?: number;
  /** Interval of SSE keep-alive comments (default 15 s). */
  keepAliveMs?: number;
  now?: () => number;
}

type Env = { Variables: { workspace: string } };

const MAX_PULL = 5000;
const GZIP_MIN_BYTES = 1024;

function errorBody(e: SkeinError) {
  return { error: { code: e.code, message: e.message, ...(e.details && { details: e.details }) } };
}

function intParam(c: Context, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new ValidationError(name, `must be an integer from 0 to ${max}`);
  return Number(raw);
}

/** Builds the app and what it holds open; `close()` ends event streams. */
export function createApp(options: AppOptions) {
  const { storage } = options;
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const now = options.now ?? Date.now;
  const metrics = new Metrics();
  const stores = new Map<string, Promise<Store>>();
  const queues = new Map<string, Promise<unknown>>();
  const streams = new Set<() => void>();

  /** The read side of a workspace: a Store over its backend (validation, pages, lists). */
  function storeOf(ws: string): Promise<Store> {
    let s = stores.get(ws);
    if (!s) {
      s = storage.backend(ws).then(
        (backend) =>
          new Store(backend, { dir: undefined, clientId: 'server', policies: resolvePolicies(), cacheSize: 100, leaseTtlMs: 30_000, now, workspace: undefined }),
      );
      stores.set(ws, s);
    }
    return s;
  }

  /** Pushes to one thread are applied one at a time in this process. */
  function serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => queues.get(key) === tail && queues.delete(key));
    return run;
  }

  async function readJson(c: Context): Promise<unknown> {
    let bytes = Buffer.from(await c.req.arrayBuffer());
    if ((c.req.header('content-encoding') ?? '').toLowerCase() === 'gzip') {
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: maxBody });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new SkeinError(ErrorCode.VALIDATION, 'request body too large', { details: { status: 413 } });
        throw new ValidationError('body', 'not valid gzip');
      }
    }
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ValidationError('body', 'not valid JSON');
    }
  }

  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath || 'unknown';
    metrics.inc('skein_http_requests_total', { route, status: String(c.res.status) });
    if (!route.startsWith('/v1/events') && !route.startsWith('/ui/events')) metrics.observe(route, (performance.now() - started) / 1000);
  });

  app.onError((err, c) => {
    const e = fromUnknown(err);
    const status = (e.details?.status as number | undefined) ?? httpStatusOf(e.code);
    if (status >= 500) console.error(`skein serve: ${c.req.method} ${c.req.path}: ${e.message}`);
    return c.json(errorBody(e), status as 400);
  });
  app.notFound((c) => c.json(errorBody(new SkeinError(ErrorCode.NOT_FOUND, `no route ${c.req.method} ${c.req.path}`)), 404));

  app.get('/healthz', async (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION, storage: storage.description }));
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }));

  app.use('/v1/*', async (c, next) => {
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const ws = m ? await storage.workspaceOf(m[1]!) : undefined;
    if (!ws) {
      const e = new SkeinError(ErrorCode.UNAUTHORIZED, m ? 'invalid token' : 'missing bearer token');
      return c.json(errorBody(e), 401, { 'www-authenticate': 'Bearer' });
    }
    c.set('workspace', ws);
    await next();
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: maxBody,
      onError: (c) => c.json(errorBody(new SkeinError(ErrorCode.VALIDATION, `request body over ${maxBody} bytes`)), 413),
    }),
  );
  /** gzip for JSON answers over 1 KiB when the client accepts it (small ones are not worth it). */
  const gzip: MiddlewareHandler<Env> = async (c, next) => {
    await next();
    if (!/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') || c.res.headers.has('content-encoding')) return;
    const body = Buffer.from(await c.res.arrayBuffer());
    const headers = new Headers(c.res.headers);
    headers.append('vary', 'accept-encoding');
    let out: Buffer = body;
    if (body.length >= GZIP_MIN_BYTES) {
      out = gzipSync(body);
      headers.set('content-encoding', 'gzip');
    }
    headers.set('content-length', String(out.length));
    c.res = new Response(out, { status: c.res.status, headers });
  };

  app.post('/v1/sync/push', gzip, async (c) => {
    const ws = c.get('workspace');
    const req = parsePushRequest(await readJson(c));
    const backend = await storage.backend(ws);
    const settled = await Promise.allSettled(
      req.threads.map((t) => serialize(`${ws}/${t.id}`, () => applyPushedThread(backend, t, now()))),
    );
    const results: PushResult[] = [];
    const cursor = await backend.maxSeq();
    for (const [i, s] of settled.entries()) {
      const id = req.threads[i]!.id;
      if (s.status === 'rejected') {
        const e = fromUnknown(s.reason);
        console.error(`skein serve: push ${id}: ${e.message}`);
        results.push({ id, status: 'rejected', code: ErrorCode.SERVER, message: 'the server failed to store this thread; retry later' });
        continue;
      }
      const { applied, ...r } = s.value;
      results.push(r);
      metrics.inc('skein_sync_push_threads_total', { status: r.status });
      if (r.status === 'conflict') metrics.inc('skein_sync_conflicts_total');
      if (applied > 0) {
        metrics.inc('skein_sync_pushed_ops_total', {}, applied);
        // The push is committed: a failed poke must not turn it into an error (clients pull on their interval).
        await storage.publish(ws, { id, v: (r as { v: number }).v, cursor }).catch((err: unknown) =>
          console.error(`skein serve: poke for ${id} failed: ${fromUnknown(err).message}`),
        );
      }
    }
    const body: PushResponse = { type: 'push:result', protocol: PROTOCOL_VERSION, threads: results };
    // A failure of the server itself is a 5xx so that clients back off and retry.
    const failed = results.some((r) => r.status === 'rejected' && r.code === ErrorCode.SERVER);
    return c.json(body, failed ? 503 : 200);
  });

  app.get('/v1/sync/pull', gzip, async (c) => {
    const cursor = intParam(c, 'cursor', 0);
    const limit = Math.max(1, intParam(c, 'limit', 1000, MAX_PULL));
    const backend = await storage.backend(c.get('workspace'));
    const exclude = c.req.query('exclude');
    const rows = await backend.opsSince(cursor, limit);
    const body: PullResponse = {
      type: 'pull:result',
      protocol: PROTOCOL_VERSION,
      cursor: rows.at(-1)?.seq ?? cursor,
      // A device that asks leaves out its own ops (it has them); the cursor still moves past them.
      changes: groupChanges(rows.map((r) => r.op).filter((op) => op.clientId !== exclude)),
      hasMore: rows.length === limit,
    };
    metrics.inc('skein_sync_pulled_ops_total', {}, rows.length);
    return c.json(body);
  });

  app.get('/v1/events', async (c) => {
    const ws = c.get('workspace');
    const since = intParam(c, 'cursor', -1);
    const backend = await storage.backend(ws);
    return streamSSE(c, async (stream) => {
      metrics.eventStreams++;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      streams.add(done);
      const unsubscribe = storage.subscribe((w, ev) => {
        if (w === ws) void stream.writeSSE({ event: 'poke', data: JSON.stringify({ type: 'poke', ...ev }) }).catch(done);
      });
      stream.onAbort(done);
      const timer = setInterval(() => void stream.write(': keep-alive\n\n').catch(done), keepAliveMs);
      try {
        await stream.write(': connected\n\n');
        const latest = await backend.maxSeq();
        if (since >= 0 && latest > since) await stream.writeSSE({ event: 'poke', data: JSON.stringify({ type: 'poke', cursor: latest }) });
        await finished;
      } finally {
        clearInterval(timer);
        unsubscribe();
        streams.delete(done);
        metrics.eventStreams--;
      }
    });
  });

  app.get('/v1/threads', gzip, async (c) => {
    const store = await storeOf(c.get('workspace'));
    const limit = intParam(c, 'limit', 50, 1000);
    const cursor = c.req.query('cursor');
    return c.json(await store.listThreads({ limit, ...(cursor !== undefined && { cursor }) }));
  });

  app.get('/v1/threads/:id', gzip, async (c) => {
    const id = parseThreadId(c.req.param('id'), 'id');
    const store = await storeOf(c.get('workspace'));
    const since = c.req.query('sinceVersion');
    if (since !== undefined) {
      const fromVersion = intParam(c, 'sinceVersion', 0);
      const info = await store.info(id);
      if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      const ops = await store.history(id, { fromVersion: Math.min(fromVersion, info.v) });
      return c.json({ id, fromVersion: Math.min(fromVersion, info.v), toVersion: info.v, ops });
    }
    const thread = await store.getThread(id as ThreadID);
    if (!thread) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return c.json(thread);
  });

  app.get('/v1/threads/:id/messages', gzip, async (c) => {
    const id = parseThreadId(c.req.param('id'), 'id');
    const store = await storeOf(c.get('workspace'));
    const q = c.req.query();
    return c.json(
      await store.loadPage(id, {
        limit: intParam(c, 'limit', 50, 1000),
        ...(q.offset !== undefined && { offset: intParam(c, 'offset', 0) }),
        ...(q.before !== undefined && { before: q.before }),
        ...(q.after !== undefined && { after: q.after }),
      }),
    );
  });

  // The web viewer at / (pages sign in with a workspace token once, kept in a cookie).
  const viewer = viewerRoutes({
    storeOf,
    workspaceOf: (token) => storage.workspaceOf(token),
    subscribe: (ws, listener) => storage.subscribe((w, ev) => w === ws && listener(ev)),
    keepAliveMs,
  });
  app.route('/', viewer.routes);

  return {
    app,
    metrics,
    /** Ends open event streams (so that the server can stop). */
    close() {
      viewer.close();
      for (const done of streams) done();
    },
  };
}
