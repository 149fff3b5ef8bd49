/**
 * The viewer's search: the results page (`/search?q=...` with the filters kind, model, cwd and
 * since as query parameters, paged over `store.search`'s `nextCursor`), its result rows, and the
 * snippet with its matched words in `<mark>`. The snippet is cut at the search's `highlights`
 * offsets and every piece is escaped, so a snippet's text can only ever show as text.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { SearchOptions, SearchResult, SearchResults } from '../store/search/search.js';
import type { Store } from '../store/store.js';
import { timeTag } from './format.js';
import { html, type SafeHtml } from './html.js';
import { layout, titleOf, type PageContext } from './pages.js';

/** Results per page of the search page. */
export const SEARCH_PAGE_SIZE = 20;

/** A search as the page's query string names it. */
export interface SearchParams {
  q: string;
  kind?: string;
  model?: string;
  cwd?: string;
  /** As typed or picked (`2025-01-31`); the store checks it. */
  since?: string;
  cursor?: string;
}

/** The search from query parameters: blank fields are left out, values are cut to a sane length. */
export function parseSearchParams(query: Record<string, string | undefined>): SearchParams {
  // The query is not cut: one too long is refused by the store, and said so.
  const p: SearchParams = { q: (query.q ?? '').trim() };
  for (const k of ['kind', 'model', 'cwd', 'since', 'cursor'] as const) {
    const v = query[k]?.trim();
    if (v) p[k] = v.slice(0, 1000);
  }
  return p;
}

/** The search as a query string (without `?`), without the cursor unless asked for. */
export function searchQuery(p: SearchParams, withCursor = false): string {
  const out = new URLSearchParams();
  for (const k of ['q', 'kind', 'model', 'cwd', 'since'] as const) if (p[k]) out.set(k, p[k]!);
  if (withCursor && p.cursor) out.set('cursor', p.cursor);
  return out.toString();
}

/** Runs the search on a store (a page of {@link SEARCH_PAGE_SIZE}). */
export function runSearch(store: Store, p: SearchParams): Promise<SearchResults> {
  const since = p.since !== undefined && /^\d+$/.test(p.since) ? Number(p.since) : p.since;
  const options: SearchOptions = {
    limit: SEARCH_PAGE_SIZE,
    ...(p.cursor !== undefined && { cursor: p.cursor }),
    ...(p.kind !== undefined && { kind: p.kind as SearchOptions['kind'] & string }),
    ...(p.model !== undefined && { model: p.model }),
    ...(p.cwd !== undefined && { cwd: p.cwd }),
    ...(since !== undefined && { since }),
  };
  return store.search(p.q, options);
}

/** Is this a refusal of what the person typed (shown on the page), not a failure? */
export function isBadSearch(err: unknown): err is SkeinError {
  return err instanceof SkeinError && err.code === ErrorCode.VALIDATION;
}

/**
 * The snippet with its matched words marked. Offsets outside the text, out of order or
 * overlapping are skipped (the text still shows, whole and escaped).
 */
export function highlightSnippet(snippet: string, highlights: readonly (readonly [number, number])[]): SafeHtml {
  const parts: SafeHtml[] = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < at || end <= start || end > snippet.length) continue;
    parts.push(html`${snippet.slice(at, start)}<mark>${snippet.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(html`${snippet.slice(at)}`);
  return html`${parts}`;
}

/** Where a result leads: the message on its thread page, or the thread when its title matched. */
export function resultHref(r: Pick<SearchResult, 'threadId' | 'messageId'>): string {
  return r.messageId === null ? `/t/${r.threadId}` : `/t/${r.threadId}#m-${r.messageId}`;
}

/** One result: its thread's title (marked, when the title is what matched), marks and time, then the snippet. */
export function renderResult(r: SearchResult): SafeHtml {
  const marked = highlightSnippet(r.snippet, r.highlights);
  // A title match's snippet is the title: it is shown once, marked.
  const isTitle = r.messageId === null;
  const title = isTitle ? marked : titleOf({ id: r.threadId, title: r.title ?? undefined });
  return html`<li class="result" data-thread="${r.threadId}"${isTitle ? '' : html` data-message="${r.messageId}"`}><a class="result-link" href="${resultHref(r)}">
<span class="result-head"><span class="result-title">${title}</span>${isTitle ? html`<span class="badge">title</span>` : ''}${r.archived ? html`<span class="badge archived">archived</span>` : ''}<span class="when">${timeTag(r.timestamp)}</span></span>${
    isTitle ? '' : html`<span class="snippet">${marked}</span>`
  }</a></li>`;
}

/** Results and the sentinel that loads the next page on scroll (a plain link without the script). */
export function renderResults(results: SearchResult[], p: SearchParams, nextCursor: string | undefined): SafeHtml {
  const next = nextCursor ? searchQuery({ ...p, cursor: nextCursor }, true) : '';
  return html`${results.map(renderResult)}${next ? html`<li class="sentinel" data-next="/ui/search?${next}"><a href="/search?${next}">more results</a></li>` : ''}`;
}

function select(name: string, value: string | undefined, options: [string, string][]): SafeHtml {
  return html`<select name="${name}" aria-label="${name}">${options.map(([v, label]) => html`<option value="${v}"${v === (value ?? '') ? ' selected' : ''}>${label}</option>`)}</select>`;
}

/**
 * The search page: the filters, then the results; `error` (a refused query) is said on the page
 * instead. Without a query it shows only the form and what the query language takes.
 */
export function renderSearchPage(ctx: PageContext, p: SearchParams, answer: SearchResults | undefined, error?: string): SafeHtml {
  const form = html`<form class="filters search-filters" method="get" action="/search">
<input type="hidden" name="q" value="${p.q}">
${select('kind', p.kind, [['', 'all kinds'], ['main', 'main'], ['subagent', 'sub-agent'], ['summary', 'summary']])}
<input name="model" placeholder="model" value="${p.model ?? ''}"><input name="cwd" placeholder="directory (and below)" value="${p.cwd ?? ''}">
<input name="since" type="date" aria-label="since" title="since" value="${p.since ?? ''}">
<button type="submit">filter</button>${p.kind || p.model || p.cwd || p.since ? html`<a href="/search?${searchQuery({ q: p.q })}">clear</a>` : ''}</form>`;
  let body: SafeHtml;
  if (error !== undefined) body = html`<p class="error" role="alert">${error}</p>`;
  else if (!p.q) body = html`<p class="muted">Type words to find in messages, tool calls and titles: <code>"a phrase"</code>, <code>pref*</code>, <code>-word</code>, <code>a OR b</code>.</p>`;
  else if (!answer || answer.results.length === 0) body = html`<ul class="results" id="results"></ul><p class="empty">Nothing matches <q>${p.q}</q>${p.kind || p.model || p.cwd || p.since ? ' with these filters' : ''}.</p>`;
  else body = html`<ul class="results" id="results">${renderResults(answer.results, p, answer.nextCursor)}</ul>`;
  const heading = p.q ? html`<h1>Search <q>${p.q}</q></h1>` : html`<h1>Search</h1>`;
  return layout(ctx, p.q ? `${p.q} — search` : 'Search', html`${heading}${form}${body}`, { page: 'search', query: p.q });
}
