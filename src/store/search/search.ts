/**
 * `store.search`: validates the query and options, asks the backend for a ranked window of
 * documents, and shapes each into a result with a snippet. Pages follow a cursor (an offset into
 * the ranking: a result can move between pages when matching messages are added meanwhile).
 */
import { ValidationError } from '../../errors.js';
import type { ThreadID } from '../../model/types.js';
import type { SearchRequest, StorageBackend } from '../backend.js';
import { parseSearchQuery } from './parse-query.js';
import { makeSnippet } from './snippet.js';

export type { SearchIndexProgress } from '../backend.js';

/** Options of a search. */
export interface SearchOptions {
  /** Results per page: 1 to 100, default 20. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Only threads of this kind. */
  kind?: 'main' | 'subagent' | 'summary';
  /** Only messages whose usage names this model. */
  model?: string;
  /** Only threads whose `env.cwd` is this directory or below it. */
  cwd?: string;
  /** Only messages from this time on: ms since the epoch, or an ISO date. */
  since?: number | string;
}

/** One result: a message (or, with `messageId` null, a thread's title) that matched. */
export interface SearchResult {
  threadId: ThreadID;
  /** The matching message; null when the thread's title matched. */
  messageId: string | null;
  /** The thread's title, null when it has none. */
  title: string | null;
  /** Text around the first match, one line, `…` where text was left out. */
  snippet: string;
  /** `[start, end)` offsets in `snippet` of the words that matched. */
  highlights: [number, number][];
  /** Relevance, higher is better (comparable within one answer, not across backends). */
  score: number;
  /** When the message was written (for a title: its thread's latest change), ms. */
  timestamp: number;
  /** The thread is archived (found in cold storage; restore it to page through it). */
  archived: boolean;
}

/** A page of results, by relevance then recency. */
export interface SearchResults {
  results: SearchResult[];
  /** Present when more results follow: pass it back as `cursor`. */
  nextCursor?: string;
}

const MAX_LIMIT = 100;
const MAX_OFFSET = 10_000;
const KINDS = new Set(['main', 'subagent', 'summary']);

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  try {
    if (typeof cursor !== 'string') throw new Error('not a string');
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { o?: unknown };
    if (Number.isSafeInteger(c.o) && (c.o as number) >= 0 && (c.o as number) <= MAX_OFFSET) return c.o as number;
  } catch {
    // reported below
  }
  throw new ValidationError('cursor', 'not a cursor returned by search');
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 4096) throw new ValidationError(field, 'must be a non-empty string');
  return value;
}

function parseSince(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ValidationError('since', 'must be a time in ms or an ISO date (2025-01-31)');
}

/** Validates a search and turns it into the backend's request (offset-based window). */
export function searchRequest(query: unknown, options: SearchOptions = {}): SearchRequest {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const q = parseSearchQuery(query);
  const limit = options.limit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  const offset = options.cursor === undefined ? 0 : decodeCursor(options.cursor);
  const req: SearchRequest = { query: q, limit, offset };
  if (options.kind !== undefined) {
    if (!KINDS.has(options.kind as string)) throw new ValidationError('kind', 'must be main, subagent or summary');
    req.kind = options.kind;
  }
  if (options.model !== undefined) req.model = nonEmpty(options.model, 'model');
  // A trailing slash names the same directory.
  if (options.cwd !== undefined) req.cwd = nonEmpty(options.cwd, 'cwd').replace(/(?<=.)\/+$/, '');
  if (options.since !== undefined) req.since = parseSince(options.since);
  return req;
}

/** Runs a search on a backend: one row more than the page says whether another page follows. */
export async function searchBackend(backend: StorageBackend, query: unknown, options: SearchOptions = {}): Promise<SearchResults> {
  const req = searchRequest(query, options);
  const hits = await backend.search({ ...req, limit: req.limit + 1 });
  const page = hits.slice(0, req.limit);
  const results = page.map((h) => {
    const { snippet, highlights } = makeSnippet(h.text, req.query);
    return { threadId: h.threadId, messageId: h.messageId, title: h.title, snippet, highlights, score: h.score, timestamp: h.at, archived: h.archived };
  });
  const out: SearchResults = { results };
  if (hits.length > req.limit && req.offset + req.limit <= MAX_OFFSET) out.nextCursor = encodeCursor(req.offset + req.limit);
  return out;
}
