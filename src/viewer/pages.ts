/**
 * The viewer's pages, rendered on the server: the layout (styles and the one client script, both
 * served from the package), the thread list and its rows, the thread page with its messages, the
 * sign-in page and error pages. Every caller's value goes through `html`, which escapes it.
 */
import type { Thread } from '../model/types.js';
import type { ThreadInfo } from '../store/store.js';
import type { ThreadKind } from '../store/policy.js';
import type { UsageReport } from '../store/relations.js';
import { formatCost, formatCount, timeTag } from './format.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';
import { filterQuery, placeOf, type ListFilters, type ListRow } from './list.js';
import { renderMessage, usageLine } from './message.js';
import type { MessageWindow, ThreadView } from './thread-data.js';
import { ASSET_VERSION } from './assets.js';

/** What every page knows: whether a sign-out link makes sense. */
export interface PageContext {
  signedIn: boolean;
  /** Shown in the header (the workspace, or the local store). */
  where: string;
}

/** The page frame. */
export function layout(ctx: PageContext, title: string, body: HtmlValue, attrs: { page: string; data?: Record<string, string | number>; query?: string; noScript?: boolean }): SafeHtml {
  const data = Object.entries(attrs.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,"><title>${title} · skein</title>
<link rel="stylesheet" href="/ui/assets/style.css?v=${ASSET_VERSION}">${attrs.noScript ? '' : html`<script src="/ui/assets/app.js?v=${ASSET_VERSION}" defer></script>`}</head>
<body data-page="${attrs.page}"${data}>
<header class="top"><a class="brand" href="/">skein</a><span class="where">${ctx.where}</span>${attrs.page === 'signin' || attrs.page === 'share' ? '' : searchBox(attrs.query)}${attrs.page === 'list' || attrs.page === 'thread' ? html`<span class="live" id="live" title="live updates">●</span>` : ''}${ctx.signedIn ? html`<a class="signout" href="/signout">sign out</a>` : ''}</header>
<main>${body}</main></body></html>`;
}

/** The header's search field (`/` focuses it); it goes to the results page. */
function searchBox(query: string | undefined): SafeHtml {
  return html`<form class="search" method="get" action="/search" role="search"><input type="search" name="q" id="search-q" placeholder="Search threads  /" aria-label="Search threads" aria-keyshortcuts="/" autocomplete="off" value="${query ?? ''}"></form>`;
}

const KIND_LABEL: Record<ThreadKind, string> = { main: 'main', subagent: 'sub-agent', summary: 'summary' };

/** A thread's title, or a stand-in. */
export function titleOf(info: Pick<ThreadInfo, 'title' | 'id'>): string {
  return info.title?.trim() || `untitled ${info.id.slice(0, 13)}`;
}

function threadLink(info: ThreadInfo | null | undefined, id: string): SafeHtml {
  return html`<a href="/t/${id}">${info ? titleOf(info) : id}</a>`;
}

/** One row of the thread list. */
export function renderRow(row: ListRow): SafeHtml {
  const { info, usage } = row;
  const models = Object.keys(usage.byModel).filter((m) => m !== 'unknown');
  return html`<li class="row" data-id="${info.id}" data-v="${info.v}"><a class="row-link" href="/t/${info.id}">
<span class="row-title">${titleOf(info)}</span>
<span class="row-meta"><span class="badge kind-${row.kind}">${KIND_LABEL[row.kind]}</span>${info.archived !== undefined ? html`<span class="badge archived">archived</span>` : ''}${row.agent ? html`<span class="badge agent">${row.agent}</span>` : ''}
<span>${formatCount(info.messageCount)} ${info.messageCount === 1 ? 'msg' : 'msgs'}</span><span class="cost">${formatCost(usage.costUSD)}</span>${models.length ? html`<span class="muted">${models.join(', ')}</span>` : ''}${placeOf(info)[0] ? html`<span class="muted cwd">${placeOf(info)[0]}</span>` : ''}
<span class="when">${timeTag(info.updated)}</span></span></a></li>`;
}

/** Rows and the sentinel that loads the next page on scroll. */
export function renderRows(rows: ListRow[], next: string | undefined, filters: ListFilters): SafeHtml {
  const q = filterQuery(filters);
  return html`${rows.map(renderRow)}${next ? html`<li class="sentinel" data-next="/ui/list?${q ? `${q}&` : ''}cursor=${encodeURIComponent(next)}">loading more…</li>` : ''}`;
}

function select(name: string, value: string | undefined, options: [string, string][]): SafeHtml {
  return html`<select name="${name}">${options.map(([v, label]) => html`<option value="${v}"${v === (value ?? '') ? ' selected' : ''}>${label}</option>`)}</select>`;
}

/** The list page: filters, then the rows. */
export function renderListPage(ctx: PageContext, rows: ListRow[], next: string | undefined, f: ListFilters): SafeHtml {
  const form = html`<form class="filters" method="get" action="/">
${select('kind', f.kind, [['', 'all kinds'], ['main', 'main'], ['subagent', 'sub-agent'], ['summary', 'summary']])}
${select('archived', f.archived, [['', 'active and archived'], ['active', 'active'], ['archived', 'archived']])}
<input name="model" placeholder="model" value="${f.model ?? ''}"><input name="cwd" placeholder="directory or repository" value="${f.cwd ?? ''}"><input name="agent" placeholder="agent (claude-code…)" value="${f.agent ?? ''}">
<button type="submit">filter</button>${filterQuery(f) ? html`<a href="/">clear</a>` : ''}</form>`;
  const list = rows.length ? html`<ul class="threads" id="threads" data-filters="${filterQuery(f)}">${renderRows(rows, next, f)}</ul>` : html`<ul class="threads" id="threads" data-filters="${filterQuery(f)}"></ul><p class="empty">No threads${filterQuery(f) ? ' match these filters' : ' yet'}.</p>`;
  return layout(ctx, 'Threads', html`<h1>Threads</h1>${form}${list}`, { page: 'list' });
}

/**
 * Messages of a window, with the sentinels that page older and newer ones in (`sides`: a page
 * fetched to go above what is shown needs no sentinel below it, and the other way round).
 */
export function renderMessages(w: MessageWindow, base: string, sides: { older: boolean; newer: boolean } = { older: true, newer: true }): SafeHtml {
  const first = w.messages[0];
  const last = w.messages.at(-1);
  const sep = base.includes('?') ? '&' : '?';
  // The thread's count rides along, so that a page can tell a message merged in above its newest.
  return html`<i hidden class="window-meta" data-total="${w.totalMessages}"></i>${sides.older && w.hasOlder && first ? html`<div class="sentinel older" data-older="${base}${sep}before=${encodeURIComponent(first.id)}">loading older messages…</div>` : ''}${w.messages.map((m) => renderMessage(m, { threadLinks: true }))}${
    sides.newer && w.hasNewer && last ? html`<div class="sentinel newer" data-newer="${base}${sep}after=${encodeURIComponent(last.id)}">loading newer messages…</div>` : ''
  }`;
}

/** The usage of a thread (and of its tree), as the thread page fetches it. */
export function renderUsage(u: { usage: UsageReport; tree?: UsageReport }): SafeHtml {
  return html`${usageBlock('This thread', u.usage)}${u.tree ? usageBlock('With sub-agents and summaries', u.tree) : ''}`;
}

function usageBlock(label: string, u: UsageReport): SafeHtml {
  const models = Object.entries(u.byModel).map(([m, t]) => html`<li>${m}: ${usageLine(t)}</li>`);
  return html`<div class="usage-block"><div><strong>${label}</strong> ${formatCost(u.costUSD)} · in ${formatCount(u.inputTokens)} · out ${formatCount(u.outputTokens)}${u.cacheReadTokens ? ` · cache read ${formatCount(u.cacheReadTokens)}` : ''}${u.threads > 1 ? ` · ${u.threads} threads` : ''}</div>${models.length > 1 ? html`<ul>${models}</ul>` : ''}</div>`;
}

/** The thread page. `atVersion` is set when showing a past version. */
export function renderThreadPage(ctx: PageContext, view: ThreadView, w: MessageWindow, atVersion: number | undefined, files: SafeHtml, map: SafeHtml = html``): SafeHtml {
  const { info } = view;
  const server = ctx.signedIn;
  const base = `/ui/t/${info.id}/messages${atVersion !== undefined ? `?v=${atVersion}` : ''}`;
  const rel: SafeHtml[] = [];
  if (info.mainThreadID) rel.push(html`<li>spawned by ${threadLink(view.parent, info.mainThreadID)}</li>`);
  if (info.originThreadID) rel.push(html`<li>summary of ${threadLink(view.origin, info.originThreadID)}</li>`);
  // A linked thread this store lacks (a sub-agent that was not synced here) is named, not linked.
  const known = new Map([...view.children, ...view.summaries].map((t) => [t.id, t]));
  const missing = (id: string) => html`<code>${id}</code> <span class="muted">(not in this ${server ? 'workspace' : 'store'})</span>`;
  for (const id of info.childThreadIDs) {
    const c = known.get(id);
    rel.push(html`<li class="child">sub-agent ${c ? html`${threadLink(c, c.id)} <span class="muted">${formatCount(c.messageCount)} ${c.messageCount === 1 ? 'msg' : 'msgs'}</span>` : missing(id)}</li>`);
  }
  for (const id of info.summaryThreadIDs) {
    const s = known.get(id);
    rel.push(html`<li class="summary">summary ${s ? threadLink(s, s.id) : missing(id)}</li>`);
  }
  const agent = info.meta?.source && typeof info.meta.source === 'object' ? (info.meta.source as Record<string, unknown>).agent : undefined;
  const shownV = atVersion ?? info.v;
  const head = html`<section class="thread-head">
<h1>${titleOf(info)}</h1>
<p class="muted ids"><code>${info.id}</code> · v<span id="thread-v">${info.v}</span> · <span id="thread-count">${formatCount(info.messageCount)}</span> messages · started ${timeTag(info.created)} · active ${timeTag(info.updated)}${
    typeof agent === 'string' ? html` · <span class="badge agent">${agent}</span>` : ''
  }${info.archived !== undefined ? html` · <span class="badge archived">archived</span>` : ''}${placeOf(info).length ? html` · <span class="cwd">${placeOf(info).join(' · ')}</span>` : ''}</p>
<div class="usage" id="usage" data-src="/ui/t/${info.id}/usage"><div class="usage-block muted">usage and cost…</div><noscript><a href="/ui/t/${info.id}/usage">usage and cost</a></noscript></div>
${rel.length ? html`<ul class="relations">${rel}</ul>` : ''}
<form class="version" method="get" action="/t/${info.id}"><label for="version">version <output id="version-out">${shownV}</output> of <span id="version-max">${info.v}</span></label>
<input type="range" id="version" name="v" min="1" max="${info.v}" value="${shownV}">${atVersion !== undefined ? html`<a class="back-live" href="/t/${info.id}">back to now</a>` : ''}<noscript><button type="submit">go</button></noscript></form>
${atVersion !== undefined ? html`<p class="banner">Showing this thread as it was at version ${atVersion} (${formatCount(w.totalMessages)} messages).</p>` : ''}
</section>`;
  const messages = html`<section class="messages" id="messages" data-base="${base}" data-live="${atVersion === undefined && !w.hasNewer ? '1' : '0'}">${renderMessages(w, base)}${
    w.messages.length === 0 ? html`<p class="empty">No messages${atVersion !== undefined ? ' at this version' : ' yet'}.</p>` : ''
  }</section>`;
  // The slot stays on a page without a map: a link made while the page is open draws one there.
  const mapSlot = html`<div id="map-slot" data-src="/ui/t/${info.id}/map">${renderMapSection(map)}</div>`;
  return layout(ctx, titleOf(info), html`${head}${mapSlot}${files}${messages}`, { page: 'thread', data: { thread: info.id, v: info.v, ...(atVersion !== undefined && { at: atVersion }) } });
}

/** The thread map's section (nothing when the map is empty), as the page and `/ui/t/:id/map` send it. */
export function renderMapSection(map: SafeHtml): SafeHtml {
  return map.value ? html`<section class="map" aria-label="Thread map"><h2>Thread map</h2><div class="map-scroll">${map}</div></section>` : html``;
}

/** The page listing every thread linked to `info` (the map's "+N more" nodes open it). */
export function renderLinkedPage(ctx: PageContext, info: ThreadInfo, lists: SafeHtml): SafeHtml {
  return layout(ctx, `Linked to ${titleOf(info)}`, html`<section class="thread-head"><h1>Threads linked to ${titleOf(info)}</h1><p class="muted"><a href="/t/${info.id}">back to the thread</a></p></section>${lists}`, { page: 'links' });
}

/**
 * The read-only page of a shared thread (`/s/<shareId>`, no sign-in): the thread page's title
 * and messages, rendered the same way, without what needs a workspace (search, live updates,
 * versions, relations, usage) and without the script (a public page runs none: times stay
 * absolute, tool results sit under their call's message). The whole thread, as its JSON is.
 */
export function renderSharedThread(t: Thread): SafeHtml {
  const last = t.messages.at(-1);
  const head = html`<section class="thread-head"><h1>${titleOf(t)}</h1>
<p class="muted ids">shared thread, read-only · <span class="count">${formatCount(t.messages.length)} messages</span> · started ${timeTag(t.created)}${last ? html` · active ${timeTag(last.timestamp)}` : ''}</p></section>`;
  const messages = html`<section class="messages" id="messages">${t.messages.map((m) => renderMessage(m, { threadLinks: false }))}${t.messages.length === 0 ? html`<p class="empty">No messages yet.</p>` : ''}</section>`;
  return layout({ signedIn: false, where: 'shared thread (read-only)' }, titleOf(t), html`${head}${messages}`, { page: 'share', noScript: true });
}

/** The sign-in page of `skein serve` (a token; a wrong one is said so, nothing else is shown). */
export function renderSignIn(error?: string): SafeHtml {
  return layout(
    { signedIn: false, where: 'sign in' },
    'Sign in',
    html`<section class="signin"><h1>Sign in</h1><p>Paste a workspace token (<code>skein token create --workspace NAME</code>).</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/signin"><input type="password" name="token" autocomplete="off" placeholder="skn_…" required autofocus><button type="submit">sign in</button></form></section>`,
    { page: 'signin' },
  );
}

/** An error page (404 and friends). */
export function renderError(ctx: PageContext, status: number, message: string): SafeHtml {
  return layout(ctx, String(status), html`<section class="error-page"><h1>${status}</h1><p>${message}</p><p><a href="/">all threads</a></p></section>`, { page: 'error' });
}
