/**
 * Public share links: `GET /s/<shareId>` shows a read-only page of a `public` thread and
 * `GET /s/<shareId>.json` (or `Accept: application/json`) its JSON, without a token. The link is
 * checked against the thread's head on every request, so it stops working the moment the thread
 * leaves `public` (and a thread made public again gets a new link).
 */
import { Hono, type Context } from 'hono';
import { isThreadId } from '../model/ids.js';
import type { Thread } from '../model/types.js';
import type { Store } from '../store/store.js';
import { html, type SafeHtml } from '../viewer/html.js';
import type { ServerStorage } from './server-storage.js';

const SHARE_ID_RE = /^[A-Za-z0-9_-]{22,64}$/;
const HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
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

/** The read-only page of a shared thread. */
function sharePage(t: Thread): SafeHtml {
  const title = t.title?.trim() || 'untitled thread';
  const messages = t.messages.map(
    (m) => html`<article class="msg ${m.role}"><header>${m.role} · ${new Date(m.timestamp).toISOString()}</header><pre>${m.content}</pre>${(m.toolCalls ?? []).map(
      (call) => html`<p class="tool">→ ${call.name}</p>`,
    )}${(m.toolResults ?? []).map((r) => html`<p class="tool">← ${r.toolCallId}${r.isError ? ' (error)' : ''}</p>`)}</article>`,
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · skein</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}pre{white-space:pre-wrap;margin:.25rem 0}.msg{border-top:1px solid #8884;padding:.5rem 0}.msg header{font-size:.8rem;opacity:.7}.tool{font-family:monospace;margin:0;opacity:.8}</style></head>
<body data-page="share"><header><strong>skein</strong> · shared thread (read-only)</header><main><h1>${title}</h1><p class="count">${t.messages.length} messages</p>${messages}</main></body></html>`;
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
    return c.html(sharePage(thread).value, 200, HEADERS);
  });
  return app;
}
