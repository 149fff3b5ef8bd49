/**
 * Full-text search for the memory backend: a scan of every visible message (and every title)
 * with the same tokens and query meaning as FTS5 and Postgres, scored by how often the terms
 * occur against the document's length. Fine for throwaway stores and tests; the durable backends
 * keep real indexes.
 */
import { searchText, tokenize, type SearchTerm } from '../../model/search.js';
import type { Message, ThreadHead, ThreadID } from '../../model/types.js';
import type { SearchHit, SearchRequest } from '../backend.js';

/** What the scan reads of one thread. */
export interface SearchableThread {
  head: ThreadHead;
  /** Visible messages (of an evicted thread: those it had when evicted). */
  messages: Message[];
  /** When its title last changed. */
  titleAt: number;
  evicted: boolean;
}

/** How often a term occurs in the tokens (a phrase: its tokens in a row). */
function occurrences(tokens: string[], term: SearchTerm): number {
  const n = term.tokens.length;
  let count = 0;
  for (let i = 0; i + n <= tokens.length; i++) {
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const want = term.tokens[j]!;
      const got = tokens[i + j]!;
      ok = term.prefix && j === n - 1 ? got.startsWith(want) : got === want;
    }
    if (ok) count++;
  }
  return count;
}

/** The score of a document for the request's query, or 0 when it does not match. */
function score(tokens: string[], req: SearchRequest): number {
  if (req.query.none.some((t) => occurrences(tokens, t) > 0)) return 0;
  let total = 0;
  for (const group of req.query.all) {
    let best = 0;
    for (const term of group) best = Math.max(best, occurrences(tokens, term));
    if (best === 0) return 0;
    total += Math.log1p(best);
  }
  return total / Math.log2(2 + tokens.length);
}

function kindMatches(head: ThreadHead, kind: SearchRequest['kind']): boolean {
  if (kind === undefined) return true;
  const k = head.mainThreadID ? 'subagent' : head.originThreadID ? 'summary' : 'main';
  return k === kind;
}

function cwdMatches(head: ThreadHead, cwd: string | undefined): boolean {
  if (cwd === undefined) return true;
  const c = head.env?.cwd;
  return typeof c === 'string' && (c === cwd || c.startsWith(cwd.endsWith('/') ? cwd : `${cwd}/`));
}

/** Scans the threads; ranks by score, then recency. */
export function memorySearch(threads: Iterable<[ThreadID, SearchableThread]>, req: SearchRequest): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const [id, t] of threads) {
    if (!kindMatches(t.head, req.kind) || !cwdMatches(t.head, req.cwd)) continue;
    const title = t.head.title ?? null;
    const archived = t.evicted || t.head.archived !== undefined;
    const consider = (messageId: string | null, text: string, at: number) => {
      if (req.since !== undefined && at < req.since) return;
      const s = score(tokenize(text), req);
      if (s > 0) hits.push({ threadId: id, messageId, title, text, score: s, at, archived });
    };
    if (title !== null && req.model === undefined) consider(null, title, t.titleAt);
    for (const m of t.messages) if (req.model === undefined || m.resourceUsage?.model === req.model) consider(m.id, searchText(m), m.timestamp);
  }
  hits.sort((a, b) => b.score - a.score || b.at - a.at);
  return hits.slice(req.offset, req.offset + req.limit);
}
