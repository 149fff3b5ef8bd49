import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, SkeinError, openStore, type SearchResult, type ThreadID } from '../../src/index.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';
import { StoreReplica } from '../../src/store/replica.js';

const DAY = 86_400_000;

async function rejectsValidation(p: Promise<unknown>, field: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof SkeinError && err.code === ErrorCode.VALIDATION && field.test(err.message));
}

describe('store.search on a SQLite store', () => {
  let t: TempStore;
  let clock = Date.UTC(2024, 0, 1);
  let old: ThreadID;
  let fresh: ThreadID;

  before(async () => {
    t = await tempStore({ now: () => clock });
    const s = t.store;
    const a = await s.createThread({ title: 'Payment webhook retries', env: { cwd: '/srv/app' } });
    await s.append(a.id, [
      { type: 'user:message', message: { content: 'The webhook handler retries forever' } },
      {
        type: 'assistant:message',
        message: {
          content: 'Looking at the handler.',
          toolCalls: [{ id: 'c1', name: 'grep', input: { pattern: 'retryPolicy', path: 'src/payments/webhook.ts' } }],
          resourceUsage: { model: 'opus', inputTokens: 10 },
        },
      },
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: 'src/payments/webhook.ts:12: const retryPolicy = exponential()' }] } },
    ]);
    old = a.id;
    clock += 60 * DAY;
    const b = await s.createThread({ title: 'Onboarding copy' });
    await s.append(b.id, { type: 'user:message', message: { content: 'Rewrite the onboarding email; mention webhook setup' } });
    fresh = b.id;
  });
  after(() => t.dispose());

  test('answers { results: [{ threadId, messageId, title, snippet, score }] } by relevance then recency', async () => {
    const page = await t.store.search('webhook');
    assert.deepEqual(Object.keys(page), ['results']);
    const r = page.results;
    assert.ok(r.length >= 4, JSON.stringify(r));
    for (const x of r) {
      assert.deepEqual(Object.keys(x).sort(), ['archived', 'highlights', 'messageId', 'score', 'snippet', 'threadId', 'timestamp', 'title']);
      for (const [s, e] of x.highlights) assert.equal(x.snippet.slice(s, e).toLowerCase(), 'webhook');
    }
    for (let i = 1; i < r.length; i++) assert.ok(r[i - 1]!.score > r[i]!.score || (r[i - 1]!.score === r[i]!.score && r[i - 1]!.timestamp >= r[i]!.timestamp));
    assert.equal(r[0]!.messageId, null, 'a short title that says it ranks first');
    assert.equal(r[0]!.title, 'Payment webhook retries');
  });

  test('a file path a tool touched is findable, as a path and by its parts', async () => {
    const byPath = await t.store.search('src/payments/webhook.ts');
    assert.equal(byPath.results.length, 2, 'the tool call and its result');
    assert.ok(byPath.results.every((x) => x.threadId === old));
    assert.equal((await t.store.search('retryPolicy')).results.length, 2);
    assert.equal((await t.store.search('payment* -onboarding')).results.length, 3, 'the title and the two tool messages');
  });

  test('filters: model, cwd, kind, since (a date or ms)', async () => {
    assert.deepEqual((await t.store.search('webhook', { model: 'opus' })).results.map((x) => x.threadId), [old]);
    assert.ok((await t.store.search('webhook', { cwd: '/srv/app/' })).results.every((x) => x.threadId === old));
    assert.equal((await t.store.search('webhook', { kind: 'subagent' })).results.length, 0);
    const since = new Date(clock - DAY).toISOString().slice(0, 10);
    assert.deepEqual([...new Set((await t.store.search('webhook', { since })).results.map((x) => x.threadId))], [fresh]);
  });

  test('bad options are VALIDATION errors; so is bad syntax; never anything else', async () => {
    await rejectsValidation(t.store.search('"open'), /query/);
    await rejectsValidation(t.store.search('x', { limit: 0 }), /limit/);
    await rejectsValidation(t.store.search('x', { limit: 101 }), /limit/);
    await rejectsValidation(t.store.search('x', { cursor: 'garbage' }), /cursor/);
    await rejectsValidation(t.store.search('x', { kind: 'other' as 'main' }), /kind/);
    await rejectsValidation(t.store.search('x', { since: 'yesterday' }), /since/);
    await rejectsValidation(t.store.search('x', { model: '' }), /model/);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60, unit: fc.constantFrom('a', 'b', ' ', '"', '*', '-', '(', ')', ':', '^', 'OR', 'AND', 'NOT', 'NEAR', '+', '.', '/', '\\', "'", '\u0000', 'é') }), async (q) => {
        try {
          const page = await t.store.search(q);
          assert.ok(Array.isArray(page.results));
        } catch (err) {
          assert.ok(err instanceof SkeinError && err.code === ErrorCode.VALIDATION, `${JSON.stringify(q)}: ${String(err)}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('pages follow the cursor: every match once', async () => {
    const th = await t.store.createThread({ title: 'paging' });
    await t.store.append(th.id, Array.from({ length: 25 }, (_, i) => ({ type: 'user:message' as const, message: { content: `zebra number ${i}` } })));
    const seen: SearchResult[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await t.store.search('zebra', { limit: 10, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.results);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    assert.equal(pages, 3);
    assert.equal(new Set(seen.map((x) => x.messageId)).size, 25);
  });

  test('archived threads are found and marked; restored, found once and unmarked; reindex keeps both', async () => {
    const r = await t.store.archiveInactiveThreads({ olderThanMs: 30 * DAY });
    assert.deepEqual(r.archived, [old]);
    const cold = await t.store.search('retryPolicy');
    assert.equal(cold.results.length, 2);
    assert.ok(cold.results.every((x) => x.archived && x.threadId === old));
    assert.equal((await t.store.reindex()).documents > 0, true);
    assert.equal((await t.store.search('retryPolicy')).results.length, 2, 'reindex keeps the documents of an archived thread');

    await t.store.restoreThread(old);
    const back = await t.store.search('retryPolicy');
    assert.equal(back.results.length, 2);
    assert.ok(back.results.every((x) => !x.archived));
    await t.store.reindex();
    assert.deepEqual((await t.store.search('retryPolicy')).results.map((x) => x.messageId), back.results.map((x) => x.messageId));
  });

  test('a thread that arrived whole (sync, import) is indexed, and the index survives reopening', async () => {
    const other = await openStore({ dir: ':memory:' });
    const th = await other.createThread({ title: 'imported' });
    await other.append(th.id, { type: 'assistant:message', message: { content: 'quasar telemetry' } });
    await new StoreReplica(t.store['core']).importThread(await other.history(th.id));
    await other.close();
    assert.equal((await t.store.search('quasar')).results[0]?.threadId, th.id);
    await t.store.close();
    await t.reopen();
    assert.equal((await t.store.search('quasar')).results[0]?.threadId, th.id);
  });
});
