/**
 * Public share links: `GET /s/<shareId>` shows a read-only page of a `public` thread and
 * `GET /s/<shareId>.json` (or `Accept: application/json`) its JSON, without a token. The link is
 * checked against the thread's head on every request, so it stops working the moment the thread
 * leaves `public` (and a thread made public again gets a new link). The page is drawn by the
 * viewer's renderer (`renderSharedThread`), so a shared thread reads like the viewer's thread page.
 */
import { Hono, type Context } from 'hono';
import { isThreadId } from '../model/ids.js';
import type { Store } from '../store/store.js';
import { renderSharedThread } from '../viewer/pages.js';
import type { ServerStorage } from './server-storage.js';

const SHARE_ID_RE = /^[A-Za-z0-9_-]{22,64}$/;
const HEADERS: Record<string, string> = {
  // The page is the viewer's, with its stylesheet from /ui/assets/ and no script at all.
  'content-security-policy': "default-src 'none'; img-src data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex',
};

/** What the share routes read. */
export interface ShareRouteOptions {
  storage: ServerStorage;
  storeOf(workspace: string): Promise<Store>;
}

/** The routes under `/s/`. */
export function shareRoutes(options: ShareRouteOptions): Hono {
  const app = new Hono();
  const notFound = (c: Context, wantsJson: boolean) =>
    wantsJson
      ? c.json({ error: { code: 'NOT_FOUND', message: 'this share link does not exist or is no longer public' } }, 404, HEADERS)
      : c.html('<!doctype html><title>not found · skein</title><p>This share link does not exist or is no longer public.</p>', 404, HEADERS);

  app.get('/s/:share', async (c) => {
    let share = c.req.param('share');
    const asJson = share.endsWith('.json');
    if (asJson) share = share.slice(0, -5);
    const wantsJson = asJson || (c.req.header('accept') ?? '').includes('application/json');
    if (!SHARE_ID_RE.test(share)) return notFound(c, wantsJson);
    const found = await options.storage.shareOf(share);
    if (!found || !isThreadId(found.id)) return notFound(c, wantsJson);
    const thread = await (await options.storeOf(found.workspace)).getThread(found.id);
    // The head decides: a link works only while the thread is public under this very share id.
    if (!thread || thread.visibility !== 'public' || thread.shareId !== share) return notFound(c, wantsJson);
    if (wantsJson) {
      const { clock: _clock, ...shown } = thread;
      return c.json(shown, 200, HEADERS);
    }
    return c.html(renderSharedThread(thread).value, 200, HEADERS);
  });
  return app;
}
