/**
 * The viewer's routes (a Hono app), mounted by `skein serve` for its workspaces and by
 * `skein ui` for the local store. Pages: `/` (threads), `/t/:id` (a thread; `?v=` a past
 * version; `#m-<id>` a message), `/search?q=` (full-text search). Fragments and events for the client script live under `/ui/`.
 * With a `workspaceOf` (the server) every page needs a signed-in token (a cookie set by
 * `/signin`); without it (the local viewer) every request must name a loopback host.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { SkeinError, ErrorCode, fromUnknown, httpStatusOf } from '../errors.js';
import { isThreadId } from '../model/ids.js';
import type { ThreadID } from '../model/types.js';
import type { Store } from '../store/store.js';
import { summaryOf } from '../store/types.js';
import { ASSETS } from './assets.js';
import { renderFileChanges } from './files-view.js';
import type { SafeHtml } from './html.js';
import { listPage, listRow, parseFilters, type ListRow } from './list.js';
import { renderError, renderLinkedPage, renderListPage, renderMapSection, renderMessages, renderRow, renderRows, renderSignIn, renderThreadPage, renderUsage, type PageContext } from './pages.js';
import { isBadSearch, parseSearchParams, renderResults, renderSearchPage, runSearch } from './search-view.js';
import { loadThreadMap, loadThreadView, loadUsage, loadWindow, type ThreadView, type WindowSpec } from './thread-data.js';
import { LINKS_PAGE_CAP, renderLinkedLists, renderThreadMap } from './thread-map.js';

/** A change to a thread, as the viewer's event stream sends it. */
export interface ThreadChange {
  id: string;
  v: number;
}

/** Where the viewer gets its data. */
export interface ViewerOptions {
  /** The store of a workspace (the server's per-workspace store, or the local store). */
  storeOf(workspace: string): Promise<Store>;
  /** Calls `listener` for every change in a workspace; returns an unsubscribe function. */
  subscribe(workspace: string, listener: (change: ThreadChange) => void): () => void;
  /** The workspace a token signs in to (server). Absent: no sign-in, the local store only. */
  workspaceOf?: (token: string) => Promise<string | undefined>;
  /**
   * Of these thread ids, the ones a signed-in token may see (server: another user's private
   * threads are left out). Absent: every thread of the workspace.
   */
  visibleTo?: (token: string, ids: readonly string[]) => Promise<Set<string>>;
  /** The name shown in the header for the local store. */
  localName?: string;
  /** Interval of keep-alive comments on event streams (default 15 s). */
  keepAliveMs?: number;
}

/** The workspace name the local viewer uses. */
export const LOCAL_WORKSPACE = 'local';
const COOKIE = 'skein_token';
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

type Env = { Variables: { viewerWorkspace: string; viewerSignedIn: boolean; viewerToken: string } };

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Builds the routes; `close()` ends open event streams. */
export function viewerRoutes(options: ViewerOptions): { routes: Hono<Env>; close(): void } {
  const app = new Hono<Env>();
  const streams = new Set<() => void>();
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const server = options.workspaceOf !== undefined;

  const pageCtx = (c: Context<Env>): PageContext => ({
    signedIn: c.get('viewerSignedIn'),
    where: server ? `workspace ${c.get('viewerWorkspace')}` : (options.localName ?? 'local store'),
  });
  const page = (c: Context<Env>, body: SafeHtml, status = 200) => c.html(body.value, status as 200, SECURITY_HEADERS);
  const store = (c: Context<Env>) => options.storeOf(c.get('viewerWorkspace'));

  app.onError((err, c) => {
    const e = fromUnknown(err);
    const status = httpStatusOf(e.code);
    if (status >= 500) console.error(`skein viewer: ${c.req.method} ${c.req.path}: ${e.message}`);
    const ctx = c.get('viewerWorkspace') === undefined ? { signedIn: false, where: '' } : pageCtx(c);
    // A server failure's own words stay in the log.
    const message = status >= 500 ? 'Something went wrong on the server; try again.' : e.message;
    return c.html(renderError(ctx, status, message).value, status as 400, SECURITY_HEADERS);
  });

  app.get('/ui/assets/:name', (c) => {
    const asset = ASSETS.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
  });

  if (server) {
    const signIn = async (c: Context<Env>, token: string | undefined) => {
      const ws = token ? await options.workspaceOf!(token) : undefined;
      if (!ws) return page(c, renderSignIn(token ? 'That token is not valid.' : undefined), token ? 401 : 200);
      setCookie(c, COOKIE, token!, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 30 * 86_400 });
      return c.redirect('/', 303);
    };
    app.get('/signin', (c) => signIn(c, c.req.query('token')));
    app.use('/signin', bodyLimit({ maxSize: 4096, onError: (c) => c.text('sign-in form too large', 413) }));
    app.post('/signin', async (c) => {
      const form = await c.req.parseBody();
      return signIn(c, typeof form.token === 'string' ? form.token.trim() : undefined);
    });
    app.get('/signout', (c) => {
      deleteCookie(c, COOKIE, { path: '/' });
      return c.redirect('/signin', 303);
    });
  }

  // Everything below needs a workspace: a signed-in token (server) or a loopback host (local).
  const guarded = ['/', '/t/*', '/search', '/ui/search', '/ui/list', '/ui/row/*', '/ui/t/*', '/ui/events'];
  for (const path of guarded)
    app.use(path, async (c, next) => {
      if (!server) {
        // A page on another host name reaching 127.0.0.1 (DNS rebinding) must not read the store.
        if (!LOOPBACK.test(c.req.header('host') ?? '')) return c.text('forbidden: the local viewer answers on 127.0.0.1 only', 403);
        c.set('viewerWorkspace', LOCAL_WORKSPACE);
        c.set('viewerSignedIn', false);
        return next();
      }
      const token = getCookie(c, COOKIE);
      const ws = token ? await options.workspaceOf!(token) : undefined;
      if (!ws) {
        if (c.req.path.startsWith('/ui/')) return c.text('sign in first', 401);
        return page(c, renderSignIn(token ? 'Your sign-in is no longer valid.' : undefined), 401);
      }
      c.set('viewerWorkspace', ws);
      c.set('viewerSignedIn', true);
      c.set('viewerToken', token!);
      return next();
    });

  /** The ids of `ids` this request may see (visibility.ts on the server). */
  const visible = async (c: Context<Env>, ids: readonly string[]): Promise<Set<string>> =>
    options.visibleTo && c.get('viewerSignedIn') ? options.visibleTo(c.get('viewerToken'), ids) : new Set(ids);
  // A thread the signed-in user may not see is answered as one that does not exist.
  for (const path of ['/t/:id', '/t/:id/links', '/ui/row/:id', '/ui/t/:id/*'])
    app.use(path, async (c, next) => {
      const id = c.req.param('id') ?? '';
      if (!(await visible(c, [id])).has(id)) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      return next();
    });
  const onlyVisible = async (c: Context<Env>, rows: ListRow[]): Promise<ListRow[]> => {
    const ok = await visible(c, rows.map((r) => r.info.id));
    return rows.filter((r) => ok.has(r.info.id));
  };

  // The relations list names no thread the reader may not see, not even by its id.
  const onlyVisibleRelations = async (c: Context<Env>, view: ThreadView): Promise<ThreadView> => {
    const { info } = view;
    const ids = [info.mainThreadID, info.originThreadID, ...info.childThreadIDs, ...info.summaryThreadIDs].filter((x): x is ThreadID => x !== undefined);
    const ok = await visible(c, ids);
    if (ids.every((x) => ok.has(x))) return view;
    const keep = (x: ThreadID | undefined) => x !== undefined && ok.has(x);
    const { mainThreadID, originThreadID, ...rest } = info;
    return {
      ...view,
      info: { ...rest, ...(keep(mainThreadID) && { mainThreadID }), ...(keep(originThreadID) && { originThreadID }), childThreadIDs: info.childThreadIDs.filter(keep), summaryThreadIDs: info.summaryThreadIDs.filter(keep) },
      children: view.children.filter((t) => keep(t.id)),
      summaries: view.summaries.filter((t) => keep(t.id)),
    };
  };

  const threadIdOr404 = (raw: string): ThreadID => {
    if (!isThreadId(raw)) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${raw} not found`);
    return raw;
  };
  const version = (c: Context<Env>, max: number): number | undefined => {
    const raw = c.req.query('v');
    if (raw === undefined || raw === '') return undefined;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new SkeinError(ErrorCode.VALIDATION, `version must be from 1 to ${max}`);
    return n === max ? undefined : n;
  };
  const spec = (c: Context<Env>): WindowSpec => {
    const q = c.req.query();
    if (q.before) return { before: q.before };
    if (q.after) return { after: q.after };
    if (q.around) return { around: q.around };
    return { newest: true };
  };

  const headOr404 = async (s: Store, c: Context<Env>) => {
    const id = threadIdOr404(c.req.param('id') ?? '');
    const info = await s.info(id);
    if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return info;
  };
  const where = server ? 'workspace' : 'store';

  app.get('/', async (c) => {
    const s = await store(c);
    const filters = parseFilters(c.req.query());
    const { rows, nextCursor } = await listPage(s, filters, {});
    return page(c, renderListPage(pageCtx(c), await onlyVisible(c, rows), nextCursor, filters));
  });

  // Search: a refused query (bad syntax, a bad filter or cursor) is said on the page, with a 400.
  app.get('/search', async (c) => {
    const s = await store(c);
    const p = parseSearchParams(c.req.query());
    if (!p.q) return page(c, renderSearchPage(pageCtx(c), p, undefined));
    try {
      return page(c, renderSearchPage(pageCtx(c), p, await runSearch(s, p)));
    } catch (err) {
      if (!isBadSearch(err)) throw err;
      return page(c, renderSearchPage(pageCtx(c), p, undefined, err.message), 400);
    }
  });

  app.get('/ui/search', async (c) => {
    const s = await store(c);
    const p = parseSearchParams(c.req.query());
    const { results, nextCursor } = await runSearch(s, p);
    return page(c, renderResults(results, p, nextCursor));
  });

  app.get('/ui/list', async (c) => {
    const s = await store(c);
    const filters = parseFilters(c.req.query());
    const cursor = c.req.query('cursor');
    const { rows, nextCursor } = await listPage(s, filters, { ...(cursor && { cursor }) });
    return page(c, renderRows(await onlyVisible(c, rows), nextCursor, filters));
  });

  app.get('/ui/row/:id', async (c) => {
    const s = await store(c);
    const info = await s.info(threadIdOr404(c.req.param('id')));
    if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, 'no such thread');
    const row = await listRow(s, summaryOf(info), parseFilters(c.req.query()));
    return row ? page(c, renderRow(row)) : c.body(null, 204);
  });

  app.get('/t/:id', async (c) => {
    const s = await store(c);
    const id = threadIdOr404(c.req.param('id'));
    const view = await loadThreadView(s, id);
    if (!view) return page(c, renderError(pageCtx(c), 404, `Thread ${id} is not in this ${server ? 'workspace' : 'store'}.`), 404);
    const at = version(c, view.info.v);
    const w = await loadWindow(s, id, { newest: true }, at, view.info);
    const files = await renderFileChanges(s, at === undefined ? view.files : view.files.filter((f) => f.threadV <= at));
    const map = renderThreadMap(await loadThreadMap(s, view.info, (ids) => visible(c, ids)), where);
    return page(c, renderThreadPage(pageCtx(c), await onlyVisibleRelations(c, view), w, at, files, map));
  });

  // Every linked thread, up to a thousand a side (the map's "+N more" nodes link here).
  app.get('/t/:id/links', async (c) => {
    const s = await store(c);
    const info = await headOr404(s, c);
    const map = await loadThreadMap(s, info, (ids) => visible(c, ids), LINKS_PAGE_CAP);
    return page(c, renderLinkedPage(pageCtx(c), info, renderLinkedLists(map, where)));
  });

  // The map's section alone: the page swaps it in when a change may have moved the thread's links.
  app.get('/ui/t/:id/map', async (c) => {
    const s = await store(c);
    const info = await headOr404(s, c);
    return page(c, renderMapSection(renderThreadMap(await loadThreadMap(s, info, (ids) => visible(c, ids)), where)));
  });

  app.get('/ui/t/:id/messages', async (c) => {
    const s = await store(c);
    const id = threadIdOr404(c.req.param('id'));
    const info = await s.info(id);
    if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    const at = version(c, info.v);
    const want = spec(c);
    const w = await loadWindow(s, id, want, at, info);
    const sides = { older: !('after' in want), newer: !('before' in want) };
    return page(c, renderMessages(w, `/ui/t/${id}/messages${at !== undefined ? `?v=${at}` : ''}`, sides));
  });

  app.get('/ui/t/:id/usage', async (c) => {
    const s = await store(c);
    const id = threadIdOr404(c.req.param('id'));
    const info = await s.info(id);
    if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return page(c, renderUsage(await loadUsage(s, info)));
  });

  app.get('/ui/events', (c) => {
    const ws = c.get('viewerWorkspace');
    return streamSSE(c, async (stream) => {
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      streams.add(done);
      const unsubscribe = options.subscribe(ws, (change) => {
        void visible(c, [change.id])
          .then((ok) => (ok.has(change.id) ? stream.writeSSE({ event: 'change', data: JSON.stringify({ id: change.id, v: change.v }) }) : undefined))
          .catch(done);
      });
      stream.onAbort(done);
      const timer = setInterval(() => void stream.write(': keep-alive\n\n').catch(done), keepAliveMs);
      try {
        await stream.writeSSE({ event: 'hello', data: '{}', retry: 1000 });
        await finished;
      } finally {
        clearInterval(timer);
        unsubscribe();
        streams.delete(done);
      }
    });
  });

  return {
    routes: app,
    close() {
      for (const done of streams) done();
    },
  };
}
