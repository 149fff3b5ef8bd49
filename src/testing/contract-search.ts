/**
 * Contract tests of full-text search: what is indexed (message text, tool names, tool inputs and
 * outputs, titles), the query language, ranking, filters, and that the index follows every kind
 * of write (truncate, rebase, view repair, evict and reinstate, reindex).
 */
import assert from 'node:assert/strict';
import { ErrorCode, SkeinError } from '../errors.js';
import type { Delta, ThreadID } from '../model/types.js';
import type { SearchHit, SearchRequest, StorageBackend } from '../store/backend.js';
import { parseSearchQuery } from '../store/search/parse-query.js';
import { ALL, T0, appendOps, assistant, rewriteChange, seedThread, user, viewRows, type ContractTest } from './contract-fixtures.js';

/** Searches with a query string and optional filters, first 50 hits. */
function find(b: StorageBackend, query: string, extra: Partial<SearchRequest> = {}): Promise<SearchHit[]> {
  return b.search({ query: parseSearchQuery(query), limit: 50, offset: 0, ...extra });
}

/** The (thread, message) pairs of hits, as strings, in rank order. */
const ids = (hits: SearchHit[]) => hits.map((h) => `${h.threadId}/${h.messageId ?? 'title'}`);

function toolCall(content: string, name: string, input: unknown): Delta {
  return { type: 'assistant:message', message: { content, toolCalls: [{ id: 'c1', name, input }] } };
}

/** Registers the search tests. */
export function searchContractTests(it: ContractTest): void {
  it('finds message text, tool names, tool inputs and outputs, and titles', async (b) => {
    const { id } = await seedThread(b, [
      user('Why does the login test flake?'),
      toolCall('Reading it.', 'read_file', { path: 'test/login.test.ts', options: { lines: [1, 2] } }),
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: { text: 'expect(session).toBeDefined()' } }] } },
    ], { title: 'Flaky authentication' });
    const ops = await b.ops(id, 0, ALL);
    const msgId = (i: number) => (ops[i] as { message: { id: string } }).message.id;

    const text = await find(b, 'flake');
    assert.deepEqual(ids(text), [`${id}/${msgId(1)}`]);
    assert.equal(text[0]!.title, 'Flaky authentication');
    assert.equal(text[0]!.archived, false);
    assert.match(text[0]!.text, /login test flake/);
    assert.equal(text[0]!.at, (ops[1] as { message: { timestamp: number } }).message.timestamp);
    assert.ok(text[0]!.score > 0, 'a higher score is a better match');

    assert.deepEqual(ids(await find(b, 'read_file')), [`${id}/${msgId(2)}`], 'a tool name');
    assert.deepEqual(ids(await find(b, 'test/login.test.ts')), [`${id}/${msgId(2)}`], 'a path in a tool input');
    assert.deepEqual(ids(await find(b, 'toBeDefined')), [`${id}/${msgId(3)}`], 'a tool output');
    assert.deepEqual(ids(await find(b, 'authentication')), [`${id}/title`], 'a title');
    assert.equal((await find(b, 'authentication'))[0]!.messageId, null);
    assert.deepEqual(await find(b, 'lines'), [], 'keys of a tool input are not indexed');
    assert.deepEqual(await find(b, 'nowhere'), []);
  });

  it('phrases, prefixes, OR and exclusions mean the same on every backend', async (b) => {
    const { id } = await seedThread(b, [user('the quick brown fox'), user('brown quick dogs'), user('a slow fox'), user('quickly now')]);
    const ops = await b.ops(id, 0, ALL);
    const m = (i: number) => `${id}/${(ops[i] as { message: { id: string } }).message.id}`;
    const set = async (q: string) => ids(await find(b, q)).sort();
    assert.deepEqual(await set('quick brown'), [m(1), m(2)].sort(), 'words: all of them, any order');
    assert.deepEqual(await set('"quick brown"'), [m(1)], 'a phrase: in a row');
    assert.deepEqual(await set('quick*'), [m(1), m(2), m(4)].sort(), 'a prefix');
    assert.deepEqual(await set('"brown qu"*'), [m(2)], 'a phrase ending in a prefix');
    assert.deepEqual(await set('dogs OR slow'), [m(2), m(3)].sort());
    assert.deepEqual(await set('fox -quick'), [m(3)], 'an exclusion');
    assert.deepEqual(await set('QUICK BROWN'), [m(1), m(2)].sort(), 'case does not matter');
  });

  it('ranks by relevance, then the newer message first', async (b) => {
    const { id } = await seedThread(b, [
      assistant('deploy notes: the deploy failed, deploy again', undefined, T0 + 1),
      assistant('one deploy mention among many other words in a rather long message body here', undefined, T0 + 2),
      assistant('same words deploy here', undefined, T0 + 3),
      assistant('same words deploy here', undefined, T0 + 4),
    ]);
    const ops = await b.ops(id, 0, ALL);
    const m = (i: number) => `${id}/${(ops[i] as { message: { id: string } }).message.id}`;
    const hits = await find(b, 'deploy');
    assert.deepEqual(ids(hits), [m(1), m(4), m(3), m(2)]);
    assert.ok(hits[0]!.score > hits[1]!.score);
    assert.equal(hits[1]!.score, hits[2]!.score, 'equal text scores equally; the newer one comes first');
    assert.deepEqual(ids(await find(b, 'deploy', { limit: 2, offset: 1 })), [m(4), m(3)], 'a window of the same ranking');
  });

  it('filters by kind, model, cwd and time', async (b) => {
    const main = await seedThread(b, [assistant('refactor parser', { model: 'opus' }, T0 + 10), assistant('refactor lexer', { model: 'haiku' }, T0 + 20)], {
      title: 'refactor',
      env: { cwd: '/home/me/proj' },
    });
    const sub = await seedThread(b, [user('refactor tests')], { mainThreadID: main.id, env: { cwd: '/home/me/proj/sub' } });
    const sum = await seedThread(b, [assistant('refactor summary')], { originThreadID: main.id, env: { cwd: '/home/me/project2' } });
    const threads = async (extra: Partial<SearchRequest>) => [...new Set((await find(b, 'refactor', extra)).map((h) => h.threadId))].sort();
    assert.deepEqual(await threads({ kind: 'main' }), [main.id]);
    assert.deepEqual(await threads({ kind: 'subagent' }), [sub.id]);
    assert.deepEqual(await threads({ kind: 'summary' }), [sum.id]);
    const opus = await find(b, 'refactor', { model: 'opus' });
    assert.equal(opus.length, 1, 'only the message made with that model (a title has none)');
    assert.match(opus[0]!.text, /parser/);
    assert.deepEqual(await threads({ cwd: '/home/me/proj' }), [main.id, sub.id].sort(), 'the directory and below, not a sibling with the same prefix');
    const late = await find(b, 'refactor', { since: T0 + 15, kind: 'main' });
    assert.ok(late.some((h) => /lexer/.test(h.text)));
    assert.ok(!late.some((h) => /parser/.test(h.text)), 'older messages are left out');
  });

  it('follows truncation, retitling, a rebase and a view repair', async (b) => {
    const { id } = await seedThread(b, [user('alpha one'), user('beta two'), user('gamma three')], { title: 'old name' });
    await appendOps(b, id, [{ type: 'thread:truncate', fromIndex: 2 }, { type: 'title', value: 'new name' }]);
    assert.deepEqual(await find(b, 'gamma'), [], 'a hidden message is not found');
    assert.equal((await find(b, 'alpha')).length, 1);
    assert.deepEqual(await find(b, 'old'), [], 'the old title is gone');
    assert.equal((await find(b, '"new name"')).length, 1);

    // A rebase keeps v1..v4 (create, alpha, beta, gamma) and replaces the rest.
    await b.rewrite(await rewriteChange(b, id, 4, [user('delta four')]), T0 + 100);
    assert.equal((await find(b, 'delta')).length, 1);
    assert.equal((await find(b, 'gamma')).length, 1, 'the truncation was replaced: gamma is visible again');
    assert.deepEqual(await find(b, 'new'), [], 'the replaced retitle is gone');
    assert.equal((await find(b, 'beta')).length, 1, 'kept messages are found once');

    // A view repair from a log without the last message.
    const ops = await b.ops(id, 0, ALL);
    const head = (await b.getHead(id))!;
    const rows = viewRows(id, ops).filter((r) => !/delta/.test(r.message.content));
    await b.replaceView({ ...head, title: 'repaired' }, rows);
    assert.deepEqual(await find(b, 'delta'), [], 'a row the repair dropped is not found');
    assert.equal((await find(b, 'repaired')).length, 1);
  });

  it('still finds an evicted thread (marked archived), once after reinstate, and survives reindex', async (b) => {
    const { id } = await seedThread(b, [user('archived needle here'), assistant('more hay')], { title: 'cold thread' });
    const other = await seedThread(b, [user('needle in a live thread')]);
    const ops = await b.ops(id, 0, ALL);
    const head = (await b.getHead(id))!;
    await b.evict(id, head.v, T0 + 1000);
    const cold = await find(b, 'needle');
    assert.deepEqual(cold.map((h) => [h.threadId, h.archived]).sort(), [[id, true], [other.id, false]].sort());
    assert.equal((await find(b, 'cold')).length, 1, 'its title too');

    const before = await b.reindex();
    assert.equal(before.documents, 4, 'reindex counts documents: 3 messages and a title');
    assert.equal((await find(b, 'archived')).length, 1, 'an evicted thread keeps its documents through reindex');

    await b.reinstate(id, ops, viewRows(id, ops));
    const back = await find(b, 'needle');
    assert.equal(back.length, 2, 'found once, not twice');
    assert.ok(back.every((h) => !h.archived));
    const after = await b.reindex();
    assert.equal(after.documents, before.documents);
    assert.deepEqual(ids(await find(b, 'needle')).sort(), ids(back).sort());
  });

  it('indexes hostile text: NUL and control characters, emoji, quotes, a huge tool output (cut, never refused)', async (b) => {
    const huge = `${'filler '.repeat(20_000)}needle-at-the-end`;
    const { id } = await seedThread(b, [
      user('nul\u0000byte and \u001b[31m escape\u0007 "quotes" \'single\' \\back \u{1F600} emoji Ωmega'),
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'x', output: huge }] } },
      toolCall('', 'bash', { command: "rm -rf '; DROP TABLE ops; --", nested: { deeper: ['__proto__', 'constructor'] } }),
    ]);
    assert.equal((await find(b, 'byte')).length, 1);
    assert.equal((await find(b, 'emoji Ωmega')).length, 1, 'non-ASCII letters are tokens');
    assert.equal((await find(b, 'escape')).length, 1);
    assert.equal((await find(b, 'filler')).length, 1, 'a huge output is indexed');
    assert.equal((await find(b, 'needle')).length, 0, 'past the first 100,000 characters');
    assert.equal((await find(b, '"DROP TABLE ops"')).length, 1);
    assert.equal((await find(b, '__proto__ constructor')).length, 1);
    assert.equal((await b.ops(id, 0, ALL)).length, 4, 'everything was stored');
  });

  it('keeps documents of different threads apart (two threads, same text)', async (b) => {
    const t1 = await seedThread(b, [user('shared words')]);
    const t2 = await seedThread(b, [user('shared words')]);
    const hits = await find(b, 'shared');
    assert.deepEqual(hits.map((h) => h.threadId).sort(), [t1.id, t2.id].sort() as ThreadID[]);
  });

  it('a text of any script or symbol finds its own message; query syntax characters are never an error', async (b) => {
    const texts = [
      'café crème brûlée',
      'cafe\u0301 decomposed',
      '日本語のテキスト',
      'Ωmega ǅungla ß straße',
      'digits ½ ² Ⅻ ٣ ৩',
      'emoji 🚀 launch',
      "o'reilly quote's",
      'back\\slash and a:*b',
      'ops <-> !not & | (x) :*',
      'zero\u200bwidth join\u200d',
      'tab\tnew\nline',
    ];
    const { id } = await seedThread(b, texts.map((t) => user(t)));
    const ops = await b.ops(id, 0, ALL);
    for (const [i, text] of texts.entries()) {
      const messageId = (ops[i + 1] as { message: { id: string } }).message.id;
      let query;
      try {
        query = parseSearchQuery(text);
      } catch (err) {
        assert.ok(err instanceof SkeinError && err.code === ErrorCode.VALIDATION, `${JSON.stringify(text)}: ${String(err)}`);
        continue;
      }
      const hits = await b.search({ query, limit: 50, offset: 0 });
      assert.ok(
        hits.some((h) => h.messageId === messageId),
        `${JSON.stringify(text)} does not find its own message: ${JSON.stringify(hits.map((h) => h.text))}`,
      );
      const phrase = await b.search({ query: parseSearchQuery(`"${text.replace(/"/g, ' ')}"`), limit: 50, offset: 0 });
      assert.ok(phrase.some((h) => h.messageId === messageId), `${JSON.stringify(text)} as a phrase`);
    }
  });
}
