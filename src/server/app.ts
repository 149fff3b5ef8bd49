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
import { KeyedQueue } from '../store/keyed-queue.js';
import type { Store } from '../store/store.js';
import { parsePushRequest, PROTOCOL_VERSION, PULL_CURSOR_HEADER, type PushResponse, type PushResult } from '../sync/protocol.js';
import { Metrics } from './metrics.js';
import { readPullPage } from './pull-page.js';
import { GroupCommit } from './group-commit.js';
import { applyPushedThread, HeadCache, onlyOwnOpsSince, pullCursorOf } from './push.js';
import type { StorageBackend } from '../store/backend.js';
import { GZIP_MIN_BYTES, json, jsonText, largeJsonText, readJson, SYNC_GZIP_MAX_BYTES } from './wire.js';
import type { ServerStorage } from './server-storage.js';
import { viewerRoutes } from '../viewer/routes.js';
import { relationRoutes } from './relation-routes.js';
import { shareRoutes } from './share-routes.js';
import { hiddenFrom, mustSee, noteAfterPush, visibleIds } from './visibility.js';

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

function errorBody(e: SkeinError) {
  return { error: { code: e.code, message: e.message, ...(e.details && { details: e.details }) } };
}

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
  /** Pushes to one thread are applied one at a time in this process. */
  const queues = new KeyedQueue<string>();
  /** The heads this process last wrote (push.ts): a push on one of them skips reading it. */
  const heads = new HeadCache();
  /**
   * SQLite commits of one loop turn go in one transaction (group-commit.ts): its commit is a
   * synchronous fsync that holds the whole process. Postgres commits stay one statement each
   * (batch-sql.ts); the database already shares WAL flushes between concurrent commits.
   */
  const groups = new Map<string, GroupCommit>();
  const groupOf = (ws: string, backend: StorageBackend): GroupCommit | undefined => {
    if (backend.kind !== 'sqlite') return undefined;
    let g = groups.get(ws);
    if (!g) groups.set(ws, (g = new GroupCommit(backend)));
    return g;
  };
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
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const tok = m ? await storage.tokenOf(m[1]!) : undefined;
    const ws = tok?.workspace;
    if (!tok || !ws) {
      const scheme = /^(\S+)/.exec(auth)?.[1];
      const why = m ? 'invalid token' : scheme ? `the ${JSON.stringify(scheme.slice(0, 20))} authorization scheme is not supported: send Authorization: Bearer <token>` : 'missing bearer token (send Authorization: Bearer <token>)';
      const e = new SkeinError(ErrorCode.UNAUTHORIZED, why);
      return c.json(errorBody(e), 401, { 'www-authenticate': 'Bearer' });
    }
    c.set('workspace', ws);
    c.set('user', tok.user);
    await next();
  });
  // Bodies (only a push has one) are read with their size limit by readBody.
  // gzip for JSON answers of 1 KiB or more when the client accepts it (smaller ones are not worth
  // it); streamed through CompressionStream, off the event loop's synchronous path. Event streams
  // are left alone (their content type is not compressed).
  app.use('/v1/*', compress({ encoding: 'gzip', threshold: GZIP_MIN_BYTES }));
  app.post('/v1/sync/push', async (c) => {
    const ws = c.get('workspace');
    const user = c.get('user');
    const req = parsePushRequest(await readJson(c, maxBody));
    const backend = await storage.backend(ws);
    const group = groupOf(ws, backend);
    // Another user's private thread cannot be written (nor its existence learned) by a push.
    const visible = await visibleIds(storage, ws, user, req.threads.map((t) => t.id));
    const settled = await Promise.allSettled(
      req.threads.map((t) =>
        queues.run(`${ws}/${t.id}`, async () => {
          if (!visible.has(t.id)) return { id: t.id, status: 'rejected' as const, code: ErrorCode.NOT_FOUND, message: `thread ${t.id} not found`, applied: 0 };
          const r = await applyPushedThread(backend, t, now(), { heads: { cache: heads, key: `${ws}/${t.id}` }, ...(group && { commit: (b, at) => group.commit(b, at) }) });
          if (r.applied > 0) await noteAfterPush(storage, await storeOf(ws), ws, user, t.id, t.ops);
          return r;
        }),
      ),
    );
    const results: PushResult[] = [];
    const applied = settled.reduce((n, s) => n + (s.status === 'fulfilled' ? s.value.applied : 0), 0);
    // Whether the ops after the client's pull cursor are all this push's (then it need not pull);
    // that answer's newest seq is also the cursor of the pokes, else it is read when something was stored.
    const since = pullCursorOf(c.req.header(PULL_CURSOR_HEADER));
    const upTo = since === undefined ? undefined : await onlyOwnOpsSince(backend, since, applied);
    const cursor = upTo ?? (applied > 0 ? await backend.maxSeq() : 0);
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
    // A failure of the server itself is a 5xx so that clients back off and retry.
    const failed = results.some((r) => r.status === 'rejected' && r.code === ErrorCode.SERVER);
    const body: PushResponse = { type: 'push:result', protocol: PROTOCOL_VERSION, threads: results, ...(upTo !== undefined && !failed && { cursor: upTo }) };
    return json(c, body, failed ? 503 : 200, failed ? { 'retry-after': '1' } : {});
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
    /** Ends open event streams (so that the server can stop). */
    close() {
      viewer.close();
      for (const done of streams) done();
    },
  };
}
