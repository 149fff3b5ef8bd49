import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type Delta, type ResourceUsage, type Thread, type ThreadID, type UsageTotals } from '../../src/index.js';
import { KINDS, rejectsWithCode, seededRandom, withStore } from '../helpers/store-fixtures.js';

const MODELS = ['m-small', 'm-large', 'm-other'];
const DAYS = [Date.UTC(2024, 4, 1, 9), Date.UTC(2024, 4, 2, 23, 59), Date.UTC(2024, 4, 3, 0, 1)];

/** What a usage report must add up to, computed from what the test appended. */
class Expected {
  readonly byThread = new Map<ThreadID, { model: string; day: string; u: ResourceUsage }[]>();

  record(id: ThreadID, u: ResourceUsage, timestamp: number): void {
    const rows = this.byThread.get(id) ?? [];
    rows.push({ model: u.model ?? 'unknown', day: new Date(timestamp).toISOString().slice(0, 10), u });
    this.byThread.set(id, rows);
  }

  totals(ids: ThreadID[], group?: 'model' | 'day'): Map<string, UsageTotals> {
    const out = new Map<string, UsageTotals>();
    for (const id of ids)
      for (const r of this.byThread.get(id) ?? []) {
        const key = group === 'model' ? r.model : group === 'day' ? r.day : '';
        const t = out.get(key) ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0 };
        t.inputTokens += r.u.inputTokens ?? 0;
        t.outputTokens += r.u.outputTokens ?? 0;
        t.cacheReadTokens += r.u.cacheReadTokens ?? 0;
        t.cacheWriteTokens += r.u.cacheWriteTokens ?? 0;
        t.costUSD += r.u.costUSD ?? 0;
        out.set(key, t);
      }
    return out;
  }
}

function assertTotals(actual: UsageTotals, expected: UsageTotals | undefined, what: string): void {
  const e = expected ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0 };
  const tokens = (t: UsageTotals) => [t.inputTokens, t.outputTokens, t.cacheReadTokens, t.cacheWriteTokens];
  assert.deepEqual(tokens(actual), tokens(e), `${what}: input, output, cache read, cache write tokens`);
  assert.ok(Math.abs(actual.costUSD - e.costUSD) < 1e-9, `${what}: cost ${actual.costUSD} vs ${e.costUSD}`);
}

/** Random usage with every field optional, so partial usage (cache tokens only, no model) is covered. */
function randomUsage(rand: () => number): ResourceUsage {
  const u: ResourceUsage = {};
  if (rand() < 0.8) u.model = MODELS[Math.floor(rand() * MODELS.length)]!;
  if (rand() < 0.8) u.inputTokens = Math.floor(rand() * 5000);
  if (rand() < 0.7) u.outputTokens = Math.floor(rand() * 900);
  if (rand() < 0.4) u.cacheReadTokens = Math.floor(rand() * 20000);
  if (rand() < 0.3) u.cacheWriteTokens = Math.floor(rand() * 3000);
  if (rand() < 0.7) u.costUSD = Math.round(rand() * 1e6) / 1e7;
  return u;
}

for (const kind of KINDS) {
  describe(`relationships and usage (${kind})`, () => {
    test('spawnSubAgentThread: the task is the first message (user), env inherited, parent raised by a child:link', () =>
      withStore(kind, async ({ store }) => {
        const parent = await store.createThread({ title: 'main', env: { cwd: '/repo', shell: 'bash' } });
        const created: Thread[] = [];
        store.on('thread:created', (t) => created.push(t));
        const child = await store.spawnSubAgentThread(parent.id, 'find the bug', { title: 'sub' });
        assert.deepEqual(created, [child]);
        assert.deepEqual(
          child.messages.map((m) => [m.role, m.content]),
          [['user', 'find the bug']],
        );
        assert.deepEqual([child.mainThreadID, child.env, child.title, child.v], [parent.id, parent.env, 'sub', 2]);
        const after = (await store.getThread(parent.id))!;
        assert.equal(after.v, parent.v + 1);
        assert.deepEqual(after.childThreadIDs, [child.id]);
        const last = (await store.history(parent.id)).at(-1)!;
        assert.deepEqual([last.type, 'linked' in last && last.linked], ['child:link', child.id]);
      }));

    test('createSummaryThread: content is the first message (assistant), originThreadID set, source raised by a summary:link', () =>
      withStore(kind, async ({ store }) => {
        const sourceId = (await store.createThread()).id;
        await store.append(sourceId, { type: 'user:message', message: { content: 'long talk' } });
        const source = (await store.getThread(sourceId))!;
        const summary = await store.createSummaryThread(source.id, 'in short: ...');
        assert.deepEqual(
          summary.messages.map((m) => [m.role, m.content]),
          [['assistant', 'in short: ...']],
        );
        assert.equal(summary.originThreadID, source.id);
        assert.equal(summary.mainThreadID, undefined);
        const after = (await store.getThread(source.id))!;
        assert.deepEqual([after.v, after.summaryThreadIDs, after.messages], [source.v + 1, [summary.id], source.messages]);
        assert.equal((await store.history(source.id)).at(-1)!.type, 'summary:link');
      }));

    test('getRelatedThreads and getThreadTree follow children and summaries', () =>
      withStore(kind, async ({ store }) => {
        const root = await store.createThread({ title: 'root' });
        const c1 = await store.spawnSubAgentThread(root.id, 'task 1');
        const c2 = await store.spawnSubAgentThread(root.id, 'task 2');
        const grand = await store.spawnSubAgentThread(c1.id, 'task 1.1');
        const sum = await store.createSummaryThread(root.id, 'summary');
        const sumOfChild = await store.createSummaryThread(c1.id, 'summary of 1');
        const rel = await store.getRelatedThreads(root.id);
        assert.deepEqual(rel.thread, await store.getThread(root.id));
        assert.equal(rel.parent, null);
        assert.deepEqual(rel.children.map((t) => t.id).sort(), [c1.id, c2.id].sort());
        assert.deepEqual(rel.summaries.map((t) => t.id), [sum.id]);
        const relChild = await store.getRelatedThreads(c1.id);
        assert.equal(relChild.parent?.id, root.id);
        assert.deepEqual(relChild.children.map((t) => t.id), [grand.id]);
        assert.deepEqual(relChild.summaries.map((t) => t.id), [sumOfChild.id]);
        const tree = await store.getThreadTree(root.id);
        const shape = (t: typeof tree): unknown => ({
          id: t.thread.id,
          children: t.children.map(shape).sort((a, b) => String((a as { id: string }).id).localeCompare((b as { id: string }).id)),
          summaries: t.summaries.map(shape),
        });
        const expected = {
          id: root.id,
          children: [
            { id: c1.id, children: [{ id: grand.id, children: [], summaries: [] }], summaries: [{ id: sumOfChild.id, children: [], summaries: [] }] },
            { id: c2.id, children: [], summaries: [] },
          ].sort((a, b) => a.id.localeCompare(b.id)),
          summaries: [{ id: sum.id, children: [], summaries: [] }],
        };
        assert.deepEqual(shape(tree), expected);
        assert.equal(tree.thread.title, 'root');
        assert.ok(!('messages' in tree.thread), 'a tree holds heads, not messages');
      }));

    test('usage matches the sums of what was appended: per thread, over the tree, by model and by day (hidden included)', () =>
      withStore(kind, async ({ store }) => {
        const seed = 20240501;
        const rand = seededRandom(seed);
        const exp = new Expected();
        const root = await store.createThread();
        const child = await store.spawnSubAgentThread(root.id, 'sub');
        const grand = await store.spawnSubAgentThread(child.id, 'subsub');
        const summary = await store.createSummaryThread(root.id, 'sum');
        const unrelated = await store.createThread();
        const ids = [root.id, child.id, grand.id, summary.id, unrelated.id];
        // Partial usage (cache tokens only, no model) counts like any other.
        for (const u of [{ cacheReadTokens: 7 }, { cacheWriteTokens: 3 }, { costUSD: 0.01 }]) {
          await store.append(root.id, { type: 'assistant:message', message: { content: 'partial', timestamp: DAYS[0]!, resourceUsage: u } });
          exp.record(root.id, u, DAYS[0]!);
        }
        for (let i = 0; i < 60; i++) {
          const id = ids[Math.floor(rand() * ids.length)]!;
          const u = randomUsage(rand);
          const timestamp = DAYS[Math.floor(rand() * DAYS.length)]!;
          const deltas: Delta[] = [{ type: 'assistant:message', message: { content: `r${i}`, timestamp, ...(Object.keys(u).length && { resourceUsage: u }) } }];
          if (Object.keys(u).length) exp.record(id, u, timestamp);
          if (rand() < 0.1) deltas.push({ type: 'thread:truncate', fromIndex: 0 });
          await store.append(id, deltas);
        }
        for (const [label, id, tree] of [
          ['root alone', root.id, [root.id]],
          ['root tree', root.id, [root.id, child.id, grand.id, summary.id]],
          ['child tree', child.id, [child.id, grand.id]],
          ['grandchild', grand.id, [grand.id]],
        ] as const) {
          const report = await store.usage(id, { tree: label !== 'root alone', byDay: true });
          assert.equal(report.threads, tree.length, `${label}: threads`);
          assertTotals(report, exp.totals([...tree]).get(''), `${label} (seed ${seed})`);
          const byModel = exp.totals([...tree], 'model');
          assert.deepEqual(Object.keys(report.byModel).sort(), [...byModel.keys()].sort(), `${label}: models`);
          for (const [model, t] of byModel) assertTotals(report.byModel[model]!, t, `${label} model ${model}`);
          const byDay = exp.totals([...tree], 'day');
          assert.deepEqual(Object.keys(report.byDay ?? {}).sort(), [...byDay.keys()].sort(), `${label}: days`);
          for (const [day, t] of byDay) assertTotals(report.byDay![day]!, t, `${label} day ${day}`);
        }
        assert.equal((await store.usage(root.id)).byDay, undefined, 'byDay only on request');
      }));

    test('a sub-agent thread is kept locally by default and survives a reopen', { skip: kind === 'memory' }, () =>
      withStore(kind, async ({ store, open }) => {
        const parent = await store.createThread();
        const child = await store.spawnSubAgentThread(parent.id, 'work');
        await store.append(child.id, { type: 'assistant:message', message: { content: 'done', resourceUsage: { model: 'm', costUSD: 0.5 } } });
        const worked = await store.getThread(child.id);
        await store.close();
        const again = await open();
        assert.deepEqual(await again.getThread(child.id), worked);
        assert.equal((await again.usage(parent.id, { tree: true })).costUSD, 0.5);
      }));

    test("policies: { subagent: 'ephemeral' } keeps sub-agents in memory only: usable now, gone after a reopen", { skip: kind === 'memory' }, () =>
      withStore(
        kind,
        async ({ store, open }) => {
          const parent = await store.createThread();
          const child = await store.spawnSubAgentThread(parent.id, 'work');
          const worked = await store.append(child.id, { type: 'assistant:message', message: { content: 'done', resourceUsage: { model: 'm', inputTokens: 10 } } });
          assert.deepEqual((await store.getThread(child.id))!.messages.at(-1), (worked.ops[0] as { message: unknown }).message);
          assert.equal((await store.loadPage(child.id)).totalMessages, 2);
          assert.equal((await store.usage(parent.id, { tree: true })).inputTokens, 10);
          assert.deepEqual((await store.getRelatedThreads(parent.id)).children.map((t) => t.id), [child.id]);
          // Not on disk: another store on the same directory does not see it.
          const other = await open();
          assert.equal(await other.getThread(child.id), null);
          await store.close();
          const again = await open({ policies: { subagent: 'ephemeral' } });
          assert.equal(await again.getThread(child.id), null);
          await rejectsWithCode(again.append(child.id, { type: 'user:message', message: { content: 'x' } }), ErrorCode.NOT_FOUND);
          assert.deepEqual((await again.getRelatedThreads(parent.id)).children, []);
          assert.equal((await again.getThread(parent.id))!.v, 2, 'the parent and its link stay');
        },
        { policies: { subagent: 'ephemeral' } },
      ));
  });
}
