/**
 * The sync server's HTTP app (Hono): push, pull, events (SSE), thread reads, health and metrics,
 * all under `/v1` with `Authorization: Bearer <token>`; a token reads and writes only its
 * workspace. Every error is a JSON `{ error: { code, message } }` with the status of its code.
 */
import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { streamSSE } from 'hono/streaming';
import { SkeinError, ErrorCode, ValidationError, fromUnknown, httpStatusOf } from '../errors.js';
import { parseThreadId } from '../model/schema.js';
import type { ThreadID } from '../model/ids.js';
import { openWorkspaceStore } from '../open-store.js';
import type { Store } from '../store/store.js';
import { PROTOCOL_VERSION, PULL_CURSOR_HEADER } from '../sync/protocol.js';
import { Metrics } from './metrics.js';
import { readPullPage } from './pull-page.js';
import { authorize, errorBody } from './auth.js';
import { pushHandler } from './push-route.js';
import { pushListener } from './push-listener.js';
import { GZIP_MIN_BYTES, json, jsonText, largeJsonText, readJson, SYNC_GZIP_MAX_BYTES } from './wire.js';
import type { ServerStorage } from './server-storage.js';
import { viewerRoutes } from '../viewer/routes.js';
import { relationRoutes } from './relation-routes.js';
import { shareRoutes } from './share-routes.js';
import { hiddenFrom, mustSee, visibleIds } from './visibility.js';

/** Options of the app. */
export interface AppOptions {
  storage: ServerStorage;
  /** Largest request body in bytes, compressed or not (default 8 MiB); larger is a 413. */
  maxBodyBytes?: number;
  /** Byte cap of a pull page's ops (default 4 MiB); an op larger than it goes alone. */
  maxPullBytes?: number;
  /** Interval of SSE keep-alive comments (default 15 s). */
  keepAliveMs?: number;
  now?: () => number;
}

type Env = { Variables: { workspace: string; user: string } };

const MAX_PULL = 5000;

function intParam(c: Context, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER, min = 0): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max || Number(raw) < min) throw new ValidationError(name, `must be an integer from ${min} to ${max}`);
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
  const streams = new Set<() => void>();

  /** The read side of a workspace: a Store over its backend (validation, pages, lists). */
  function storeOf(ws: string): Promise<Store> {
    let s = stores.get(ws);
    if (!s) {
      s = storage.backend(ws).then((backend) => openWorkspaceStore(backend, { now }));
      stores.set(ws, s);
      s.catch(() => stores.get(ws) === s && stores.delete(ws));
    }
    return s;
  }

  const push = pushHandler({ storage, metrics, now, storeOf });
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
    // A client that went away mid-request is not a server error: nobody reads the answer.
    if (c.req.raw.signal?.aborted) return c.body(null, 499 as 400);
    if (status >= 500) console.error(`skein serve: ${c.req.method} ${c.req.path}: ${e.message}`);
    const retryAfter = e.details?.retryAfterSeconds;
    return c.json(errorBody(e), status as 400, typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {});
  });
  app.notFound((c) => c.json(errorBody(new SkeinError(ErrorCode.NOT_FOUND, `no route ${c.req.method} ${c.req.path}`)), 404));

  app.get('/healthz', async (c) => {
    const status = (await storage.status?.()) ?? { ok: true };
    return c.json({ protocol: PROTOCOL_VERSION, storage: storage.description, ...status }, status.ok ? 200 : 503);
  });
  app.get('/metrics', (c) => c.text(metrics.render() + (storage.metricsText?.() ?? ''), 200, { 'content-type': 'text/plain; version=0.0.4' }));

  app.use('/v1/*', async (c, next) => {
    const who = await authorize(storage, c.req.header('authorization'));
    if (who instanceof SkeinError) return c.json(errorBody(who), 401, { 'www-authenticate': 'Bearer' });
    c.set('workspace', who.workspace);
    c.set('user', who.user);
    await next();
  });
  // Bodies (only a push has one) are read with their size limit by readBody.
  // gzip for JSON answers of 1 KiB or more when the client accepts it (smaller ones are not worth
  // it); streamed through CompressionStream, off the event loop's synchronous path. Event streams
  // are left alone (their content type is not compressed).
  app.use('/v1/*', compress({ encoding: 'gzip', threshold: GZIP_MIN_BYTES }));
  app.post('/v1/sync/push', async (c) => {
    const answer = await push(c.get('workspace'), c.get('user'), await readJson(c, maxBody), c.req.header(PULL_CURSOR_HEADER));
    return json(c, answer.body, answer.status, answer.headers);
  });

  app.get('/v1/sync/pull', async (c) => {
    const cursor = intParam(c, 'cursor', 0);
    const limit = intParam(c, 'limit', 1000, MAX_PULL, 1);
    const backend = await storage.backend(c.get('workspace'));
    const hidden = await hiddenFrom(storage, c.get('workspace'), c.get('user'));
    // A device that asks leaves out its own ops (it has them); the cursor still moves past them.
    // Pages are capped by bytes too; a large one is compressed in one call (see wire.ts).
    const page = await readPullPage(backend, { cursor, limit, exclude: c.req.query('exclude'), hidden, ...(options.maxPullBytes !== undefined && { maxBytes: options.maxPullBytes }) });
    metrics.inc('skein_sync_pulled_ops_total', {}, page.read);
    if (page.bytes <= SYNC_GZIP_MAX_BYTES / 2) return jsonText(c, page.text());
    return largeJsonText(c, page.text());
  });

  app.get('/v1/events', async (c) => {
    const ws = c.get('workspace');
    const user = c.get('user');
    const since = intParam(c, 'cursor', -1);
    const backend = await storage.backend(ws);
    return streamSSE(c, async (stream) => {
      metrics.eventStreams++;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      streams.add(done);
      const unsubscribe = storage.subscribe((w, ev) => {
        if (w !== ws) return;
        // A poke naming another user's private thread is not sent (its id would leak).
        const seen = ev.id === undefined ? Promise.resolve(true) : visibleIds(storage, ws, user, [ev.id]).then((v) => v.has(ev.id!));
        void seen.then((ok) => (ok ? stream.writeSSE({ event: 'poke', data: JSON.stringify({ type: 'poke', ...ev }) }) : undefined)).catch(done);
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

  app.get('/v1/threads', async (c) => {
    const store = await storeOf(c.get('workspace'));
    const limit = intParam(c, 'limit', 50, 1000, 1);
    const cursor = c.req.query('cursor');
    const page = await store.listThreads({ limit, ...(cursor !== undefined && { cursor }) });
    // Another user's private threads are left out (a page may then hold fewer than `limit`).
    const visible = await visibleIds(storage, c.get('workspace'), c.get('user'), page.threads.map((t) => t.id));
    return json(c, { ...page, threads: page.threads.filter((t) => visible.has(t.id)) });
  });

  app.get('/v1/threads/:id', async (c) => {
    const id = parseThreadId(c.req.param('id'), 'id');
    await mustSee(storage, c.get('workspace'), c.get('user'), id);
    const store = await storeOf(c.get('workspace'));
    const since = c.req.query('sinceVersion');
    if (since !== undefined) {
      const fromVersion = intParam(c, 'sinceVersion', 0);
      const info = await store.info(id);
      if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      const ops = await store.history(id, { fromVersion: Math.min(fromVersion, info.v) });
      return json(c, { id, fromVersion: Math.min(fromVersion, info.v), toVersion: info.v, ops });
    }
    const thread = await store.getThread(id as ThreadID);
    if (!thread) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return json(c, thread);
  });

  app.get('/v1/threads/:id/messages', async (c) => {
    const id = parseThreadId(c.req.param('id'), 'id');
    await mustSee(storage, c.get('workspace'), c.get('user'), id);
    const store = await storeOf(c.get('workspace'));
    const q = c.req.query();
    return json(
      c,
      await store.loadPage(id, {
        limit: intParam(c, 'limit', 50, 1000, 1),
        ...(q.offset !== undefined && { offset: intParam(c, 'offset', 0) }),
        ...(q.before !== undefined && { before: q.before }),
        ...(q.after !== undefined && { after: q.after }),
      }),
    );
  });

  // Full-text search in the token's workspace: the same query language, options and answer as store.search.
  app.get('/v1/search', async (c) => {
    const store = await storeOf(c.get('workspace'));
    const q = c.req.query();
    const since = q.since !== undefined && /^\d+$/.test(q.since) ? Number(q.since) : q.since;
    const found = await store.search(q.q as string, {
        limit: intParam(c, 'limit', 20, 100),
        ...(q.cursor !== undefined && { cursor: q.cursor }),
        ...(q.kind !== undefined && { kind: q.kind as 'main' }),
        ...(q.model !== undefined && { model: q.model }),
        ...(q.cwd !== undefined && { cwd: q.cwd }),
        ...(since !== undefined && { since }),
      });
    // Hits in another user's private threads are left out (a page may then hold fewer than `limit`).
    const visible = await visibleIds(storage, c.get('workspace'), c.get('user'), [...new Set(found.results.map((r) => r.threadId))]);
    return c.json({ ...found, results: found.results.filter((r) => visible.has(r.threadId)) });
  });
  // A thread's head, tree and cost, as far as the token's user may see (relation-routes.ts).
  app.route('/', relationRoutes({ storage, storeOf }));
  // Public share links: a read-only page and JSON, no token (share-routes.ts).
  app.route('/', shareRoutes({ storage, storeOf }));
  // The web viewer at / (pages sign in with a workspace token once, kept in a cookie).
  const viewer = viewerRoutes({
    storeOf,
    workspaceOf: (token) => storage.workspaceOf(token),
    visibleTo: async (token, ids) => {
      const tok = await storage.tokenOf(token);
      return tok ? visibleIds(storage, tok.workspace, tok.user, ids) : new Set<string>();
    },
    // A catch-up poke after the database came back names no thread; the viewer follows named changes.
    subscribe: (ws, listener) =>
      storage.subscribe((w, ev) => {
        if (w === ws && ev.id !== undefined && ev.v !== undefined) listener({ id: ev.id, v: ev.v });
      }),
    keepAliveMs,
  });
  app.route('/', viewer.routes);

  return {
    app,
    metrics,
    /** `POST /v1/sync/push` straight on Node's request and response (push-listener.ts); false for any other request. */
    direct: pushListener({ storage, metrics, push, maxBody }),
    /** Ends open event streams (so that the server can stop). */
    close() {
      viewer.close();
      for (const done of streams) done();
    },
  };
}
