import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, SkeinError, parseSearchQuery } from '../../src/index.js';
import { makeSnippet } from '../../src/store/search/snippet.js';
import { toFts5 } from '../../src/store/sqlite/search-sql.js';
import { toTsquery } from '../../src/store/postgres/search-sql.js';

const validation = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof SkeinError && err.code === ErrorCode.VALIDATION && message.test(err.message));

describe('search query language', () => {
  test('words, phrases, prefixes, OR and exclusions parse into groups', () => {
    assert.deepEqual(parseSearchQuery('Login  "flaky test" src/login.ts retr* a OR b -skip'), {
      all: [
        [{ tokens: ['login'], prefix: false }],
        [{ tokens: ['flaky', 'test'], prefix: false }],
        [{ tokens: ['src', 'login', 'ts'], prefix: false }],
        [{ tokens: ['retr'], prefix: true }],
        [{ tokens: ['a'], prefix: false }, { tokens: ['b'], prefix: false }],
      ],
      none: [{ tokens: ['skip'], prefix: false }],
    });
    assert.deepEqual(parseSearchQuery('"read fi"*').all, [[{ tokens: ['read', 'fi'], prefix: true }]]);
    assert.deepEqual(parseSearchQuery('what?!').all, [[{ tokens: ['what'], prefix: false }]], 'punctuation is not syntax');
    assert.deepEqual(parseSearchQuery('naïve 東京').all, [[{ tokens: ['naïve'], prefix: false }], [{ tokens: ['東京'], prefix: false }]]);
  });

  test('bad syntax is a VALIDATION error naming the problem', () => {
    validation(() => parseSearchQuery('"unclosed phrase'), /quote is not closed/);
    validation(() => parseSearchQuery('OR login'), /OR needs/);
    validation(() => parseSearchQuery('login OR'), /OR needs/);
    validation(() => parseSearchQuery('a OR OR b'), /OR needs/);
    validation(() => parseSearchQuery('a OR -b'), /OR cannot join/);
    validation(() => parseSearchQuery('-only'), /not excluded/);
    validation(() => parseSearchQuery(''), /nothing to search for/);
    validation(() => parseSearchQuery('  ?! ** ()  '), /nothing to search for/);
    validation(() => parseSearchQuery('x'.repeat(1001)), /at most 1000 characters/);
    validation(() => parseSearchQuery(Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ')), /at most 32 terms/);
    validation(() => parseSearchQuery(42), /must be a string/);
  });

  test('what reaches FTS5 and Postgres is built from tokens only', () => {
    const q = parseSearchQuery('NEAR(a b) col:x "c d"* e OR f -g');
    assert.equal(toFts5(q), '"near a" AND "b" AND "col x" AND "c d" * AND ("e" OR "f") NOT ("g")');
    const ts = toTsquery(q, 1);
    assert.deepEqual(ts.params, ['near a', 'b', 'col x', 'c d', 'e', 'f', 'g'], 'the tokens of each term are parameters');
    assert.doesNotMatch(ts.sql, /near|col/, 'no token is in the SQL');
    assert.deepEqual([...ts.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(ts.sql.split("':*'").length, 2, 'one prefix');
    assert.ok(ts.sql.slice(ts.sql.indexOf('$3'), ts.sql.indexOf('$4')).includes("':*'"), 'the prefix is the term of $4');
    assert.match(ts.sql, / && \(to_tsquery[^|]*\$5[^|]* \|\| to_tsquery.*\$6.*\) && !!to_tsquery.*\$7/, 'OR inside a group, AND between, exclusions last');
  });
});

describe('snippets', () => {
  test('a window around the first match, cut at word boundaries, with the matches marked', () => {
    const text = `${'lorem ipsum '.repeat(30)}the deploy failed because\nthe\tcache was stale ${'dolor sit '.repeat(30)}`;
    const { snippet, highlights } = makeSnippet(text, parseSearchQuery('deploy stal*'));
    assert.ok(snippet.startsWith('…') && snippet.endsWith('…'), snippet);
    assert.ok(snippet.length <= 162);
    assert.match(snippet, /the deploy failed because the cache was stale/, 'whitespace runs become one space');
    assert.deepEqual(highlights.map(([s, e]) => snippet.slice(s, e)), ['deploy', 'stale']);
    assert.doesNotMatch(snippet, /^…\S*[a-z]…?$/, 'not cut inside a word');
    for (const w of snippet.replace(/…/g, '').trim().split(' ')) assert.ok(['lorem', 'ipsum', 'dolor', 'sit', 'the', 'deploy', 'failed', 'because', 'cache', 'was', 'stale'].includes(w), w);
  });

  test('short text whole; control characters never reach the snippet', () => {
    const { snippet, highlights } = makeSnippet('Run \x1b[1m rm\x07 -rf\u200b now', parseSearchQuery('rm'));
    assert.equal(snippet, 'Run [1m rm -rf now');
    assert.deepEqual(highlights.map(([s, e]) => snippet.slice(s, e)), ['rm']);
    assert.deepEqual(makeSnippet('no match here', parseSearchQuery('zzz')), { snippet: 'no match here', highlights: [] });
  });
});
