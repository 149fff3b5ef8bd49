/**
 * Snippet shaping: the part of a matched text worth showing, on one line, with the matched words
 * marked by offsets (not by markup), so the command line can bold them and the viewer can wrap
 * them in `<mark>` after escaping the text. The same for every backend.
 */
import { TOKEN_RE, type SearchQuery } from '../../model/search.js';

/** A snippet and the `[start, end)` offsets (UTF-16) of the words in it that matched. */
export interface Snippet {
  snippet: string;
  highlights: [number, number][];
}

/** Characters of context around the first match. */
const DEFAULT_WIDTH = 160;

/** Does this lower-cased token match a token or prefix of the query? */
function matcher(query: SearchQuery): (token: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const group of query.all)
    for (const term of group)
      term.tokens.forEach((t, i) => {
        if (term.prefix && i === term.tokens.length - 1) prefixes.push(t);
        else exact.add(t);
      });
  return (token) => exact.has(token) || prefixes.some((p) => token.startsWith(p));
}

/** Whitespace and control characters, each run shown as one space. */
const SPACE_RE = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/**
 * About `width` characters of `text` around its first matching word, cut at word boundaries, with
 * `…` where text was left out, whitespace runs and control characters as single spaces, and the
 * matching words' offsets.
 */
export function makeSnippet(text: string, query: SearchQuery, width = DEFAULT_WIDTH): Snippet {
  const matches = matcher(query);
  let first = -1;
  for (const m of text.matchAll(TOKEN_RE)) {
    if (matches(m[0].toLowerCase())) {
      first = m.index;
      break;
    }
  }
  let start = first < 0 ? 0 : Math.max(0, first - Math.floor(width / 3));
  let end = Math.min(text.length, start + width);
  if (end === text.length) start = Math.max(0, end - width);
  // Move the cuts to word boundaries (not inside a token or a surrogate pair).
  while (start > 0 && start < first && /[\p{L}\p{N}]/u.test(text[start - 1]!)) start++;
  while (end < text.length && end > start && /[\p{L}\p{N}]/u.test(text[end]!)) end--;
  if (end <= start) end = Math.min(text.length, start + width);
  if (start > 0 && /[\uDC00-\uDFFF]/.test(text[start]!)) start++;
  if (end < text.length && /[\uDC00-\uDFFF]/.test(text[end]!)) end--;
  let body = text.slice(start, end).replace(SPACE_RE, ' ');
  const lead = start > 0 ? '…' : '';
  const trail = end < text.length ? '…' : '';
  if (lead) body = body.replace(/^ /, '');
  if (trail) body = body.replace(/ $/, '');
  const snippet = lead + body + trail;
  const highlights: [number, number][] = [];
  for (const m of snippet.matchAll(TOKEN_RE)) if (matches(m[0].toLowerCase())) highlights.push([m.index, m.index + m[0].length]);
  return { snippet, highlights };
}
