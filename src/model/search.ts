/**
 * Full-text search, the pure part every backend shares: what a parsed query is, how text is cut
 * into tokens, and which text of a message is indexed. Backends render a {@link SearchQuery} into
 * their own syntax (FTS5 MATCH, Postgres tsquery) or match it directly (memory), so the meaning of
 * a query is the same everywhere.
 */
import type { Message } from './types.js';

/**
 * One term of a query: a single token, or a phrase (tokens in a row). `prefix` makes the last
 * token match any token it starts (`login*`).
 */
export interface SearchTerm {
  tokens: string[];
  prefix: boolean;
}

/**
 * A parsed query: every group must match (AND), a group matches when any of its terms does (OR),
 * and no term of `none` may match (NOT). At least one group, none of them empty.
 */
export interface SearchQuery {
  all: SearchTerm[][];
  none: SearchTerm[];
}

/**
 * Characters that make up tokens: letters, digits, combining accents (`Mn`) and private-use
 * characters (everything else separates), the characters FTS5's `unicode61` keeps in a token, so
 * that a decomposed `cafe\u0301` is one token on both sides. Postgres cuts the query's tokens
 * again as it cuts the indexed text (postgres/search-sql.ts).
 */
export const TOKEN_RE = /[\p{L}\p{N}\p{Mn}\p{Co}]+/gu;

/** The tokens of a text, lower-cased, in order (what the FTS5 `unicode61` tokenizer and Postgres see). */
export function tokenize(text: string): string[] {
  return (text.match(TOKEN_RE) ?? []).map((t) => t.toLowerCase());
}

/** At most this many characters of a message are indexed (a huge tool output would bloat the index). */
export const MAX_INDEXED_CHARS = 100_000;

/** The string leaves of a JSON value, depth first (keys are not indexed, values are). */
function stringLeaves(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
}

/**
 * The text of a message that search indexes: its content, then the tool calls' names, then the
 * string values of their inputs, then the string values of the tool results' outputs (so a file
 * path a tool read or wrote is findable), joined by spaces and cut at {@link MAX_INDEXED_CHARS}.
 * The SQL triggers of the SQLite and Postgres backends compute the same text.
 */
export function searchText(m: Pick<Message, 'content' | 'toolCalls' | 'toolResults'>): string {
  const parts: string[] = [typeof m.content === 'string' ? m.content : ''];
  for (const c of m.toolCalls ?? []) parts.push(c.name);
  for (const c of m.toolCalls ?? []) stringLeaves(c.input, parts);
  for (const r of m.toolResults ?? []) stringLeaves(r.output, parts);
  return parts.join(' ').slice(0, MAX_INDEXED_CHARS);
}
