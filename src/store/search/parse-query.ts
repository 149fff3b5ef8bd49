/**
 * The search query language, parsed into a {@link SearchQuery} that every backend renders safely
 * (a user's text never reaches FTS5 or Postgres as syntax):
 *
 * - `word word` — both must match (AND); `word*` — a prefix;
 * - `"two words"` — a phrase; a word with punctuation (`src/login.ts`, `read_file`) is the
 *   phrase of its tokens, so file paths and identifiers are found;
 * - `a OR b` — either (binds tighter than AND: `a OR b c` is `(a OR b) AND c`);
 * - `-word` — must not match (needs at least one other term).
 *
 * Anything else is a `VALIDATION` error naming what is wrong (unclosed quote, dangling OR, ...).
 */
import { ValidationError } from '../../errors.js';
import { tokenize, type SearchQuery, type SearchTerm } from '../../model/search.js';

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 1000;
/** Most terms a query may have. */
export const MAX_QUERY_TERMS = 32;

type Lexeme = { kind: 'or' } | { kind: 'term'; term: SearchTerm; negated: boolean };

function fail(message: string): never {
  throw new ValidationError('query', message);
}

/** Splits the query into terms and OR operators. */
function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    let negated = false;
    if (ch === '-' && i + 1 < text.length && !/\s/u.test(text[i + 1]!)) {
      negated = true;
      i++;
    }
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) fail('a quote is not closed (phrases are "between double quotes")');
      let prefix = false;
      let next = end + 1;
      if (text[next] === '*') {
        prefix = true;
        next++;
      }
      const tokens = tokenize(text.slice(i + 1, end));
      i = next;
      if (tokens.length === 0) {
        if (negated) fail('"-" must be followed by a word or a phrase');
        continue;
      }
      out.push({ kind: 'term', term: { tokens, prefix }, negated });
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/u.test(text[end]!) && text[end] !== '"') end++;
    const word = text.slice(i, end);
    i = end;
    if (word === 'OR' && !negated) {
      out.push({ kind: 'or' });
      continue;
    }
    const tokens = tokenize(word);
    if (tokens.length === 0) {
      if (negated) fail('"-" must be followed by a word or a phrase');
      continue; // punctuation alone: nothing to look for
    }
    // `word*` is a prefix only when the star ends the word right after a letter or digit.
    const prefix = /[\p{L}\p{N}]\*$/u.test(word);
    out.push({ kind: 'term', term: { tokens, prefix }, negated });
  }
  return out;
}

/**
 * Parses a user's search text. VALIDATION when it is not a string, is too long, has nothing to
 * look for, or is malformed.
 */
export function parseSearchQuery(input: unknown): SearchQuery {
  if (typeof input !== 'string') fail('must be a string');
  if (input.length > MAX_QUERY_CHARS) fail(`must be at most ${MAX_QUERY_CHARS} characters`);
  const lexemes = lex(input);
  const all: SearchTerm[][] = [];
  const none: SearchTerm[] = [];
  let joinNext = false;
  let terms = 0;
  lexemes.forEach((x, n) => {
    if (x.kind === 'or') {
      const prev = lexemes[n - 1];
      const next = lexemes[n + 1];
      if (!prev || prev.kind !== 'term' || !next || next.kind !== 'term') fail('OR needs a word or phrase on each side');
      if (prev.negated || next.negated) fail('OR cannot join an excluded (-) term');
      joinNext = true;
      return;
    }
    if (++terms > MAX_QUERY_TERMS) fail(`must have at most ${MAX_QUERY_TERMS} terms`);
    if (x.negated) none.push(x.term);
    else if (joinNext) all.at(-1)!.push(x.term);
    else all.push([x.term]);
    joinNext = false;
  });
  if (all.length === 0) fail(none.length > 0 ? 'needs at least one term that is not excluded (-)' : 'has nothing to search for');
  return { all, none };
}
