/**
 * Truncation-heavy threads through a store: the head row keeps at most MAX_HIDDEN hidden ranges
 * (model/hidden.ts), yet the store shows exactly the thread that folding its log gives, places
 * new messages where a whole head would, and takes remote ops keyed in old turns correctly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { applyOps, completeOp, foldOps, type Delta, type Op, type Thread } from '../../src/model/index.js';
import { MAX_HIDDEN } from '../../src/model/hidden.js';
import { callKeyIn } from '../../src/model/open-calls.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { renumber } from '../../src/store/replay.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/index.js';
import { THREAD_ID, buildPlan, extend, resolveAction, stepsArb, threadPlanArb, type Step } from '../helpers/model-arbitraries.js';
import { fcRuns } from '../helpers/fc-runs.js';
import { KINDS, withStore } from '../helpers/store-fixtures.js';
import { WITHOUT_TITLE_COLUMNS } from '../helpers/schema-downgrade.js';

const backendOf = (store: Store): StorageBackend => (store as unknown as { core: { backend: StorageBackend } }).core.backend;

/** A store step: a model step, or a result for a call made anywhere in the thread (the head may have forgotten it). */
type StoreStep = { model: Step } | { lateResult: number; dt: number };

const storeStepArb: fc.Arbitrary<StoreStep> = fc.oneof(
  fc.record({ model: stepsArb(1, { truncate: 6 }, 1).map((s) => s[0]!) }),
  fc.record({ lateResult: fc.nat({ max: 50 }), dt: fc.integer({ min: 0, max: 2000 }) }),
);

/** Like scenarioArb, with long sides and many truncations: heads past MAX_HIDDEN ranges, remote ops keyed in old turns. */
const truncatingScenarioArb = fc
  .record({
    base: threadPlanArb({ minSteps: 20, maxSteps: 40, mix: { truncate: 3, scalars: false } }),
    skewA: fc.integer({ min: -4000, max: 4000 }),
    skewB: fc.integer({ min: -4000, max: 4000 }),
    stepsA: stepsArb(30, { truncate: 3, scalars: false }, 10),
    stepsB: stepsArb(30, { truncate: 3, scalars: false }, 10),
  })
  .map(({ base: plan, skewA, skewB, stepsA, stepsB }) => {
    const base = buildPlan(plan, 'ops');
    const local = extend(base, stepsA, { clientId: 'devA', now0: base.now + skewA, mode: 'ops', namer: { label: 'L', n: 0 } });
    const remote = extend(base, stepsB, { clientId: 'devB', now0: base.now + skewB, mode: 'ops', namer: { label: 'R', n: 0 } });
    return { local, remote, remoteOps: remote.ops.slice(base.ops.length) };
  });

function lateResultDelta(thread: Thread, pick: number): Delta | undefined {
  const calls = thread.messages.flatMap((m) => (m.toolCalls ?? []).map((c) => c.id));
  if (calls.length === 0) return undefined;
  return { type: 'user:message', message: { content: 'late', toolResults: [{ toolCallId: calls[pick % calls.length]!, output: 'ok' }] } };
}

describe('a store with bounded heads shows what folding its log gives', () => {
  for (const kind of KINDS)
    test(`${kind}: synced ops in old turns and local appends after many truncations`, async () => {
      await fc.assert(
        fc.asyncProperty(
          truncatingScenarioArb,
          fc.array(storeStepArb, { maxLength: 16 }),
          async (sc, later) => {
            let clock = Math.max(sc.local.now, sc.remote.now) + 1000;
            await withStore(
              kind,
              async ({ store }) => {
                const first = sc.local.ops;
                await store.importOps(first);
                const remote = renumber(sc.remoteOps, first.length);
                if (remote.length > 0) await store.importOps(remote);
                let expected = foldOps(THREAD_ID, [...first, ...remote]);
                assert.deepStrictEqual(await store.getThread(THREAD_ID), expected);
                const namer = { label: 'S', n: 0 };
                for (const s of later) {
                  clock += 'model' in s ? Math.max(s.model.dt, 0) : s.dt;
                  const delta = 'model' in s ? resolveAction(expected, s.model.action, namer) : lateResultDelta(expected, s.lateResult);
                  if (!delta) continue;
                  const { messages, ...core } = expected;
                  const want = completeOp(core, delta, {
                    clientId: 'devC',
                    now: clock,
                    messageAt: (i) => messages[i],
                    indexOf: (mid) => {
                      const i = messages.findIndex((m) => m.id === mid);
                      return i < 0 ? undefined : i;
                    },
                    callKey: (callId) => callKeyIn(messages, callId),
                  });
                  const { ops } = await store.append(THREAD_ID, delta);
                  const got = ops[0]!;
                  if ('message' in want) assert.equal((got as Op & { message: { key: string } }).message.key, want.message.key);
                  if (want.type === 'thread:truncate') assert.deepEqual([(got as typeof want).fromKey, (got as typeof want).toKey], [want.fromKey, want.toKey]);
                  expected = applyOps(expected, ops);
                }
                assert.deepStrictEqual(await store.getThread(THREAD_ID), expected);
                const head = (await backendOf(store).getHead(THREAD_ID))!;
                assert.ok(head.clock.hidden.length <= MAX_HIDDEN, `${head.clock.hidden.length} ranges in the head`);
              },
              { cacheSize: 0, clientId: 'devC', now: () => clock },
            );
          },
        ),
        { numRuns: fcRuns(kind === 'sqlite' ? 40 : 100) },
      );
    });
});

describe('appends need no more than the head, or find the ranges it left out', () => {
  for (const kind of KINDS)
    test(`${kind}: a reply in a turn truncated long ago is not written under it (the range is looked up)`, () =>
      withStore(
        kind,
        async ({ store }) => {
          const { id } = await store.createThread({});
          const say = (content: string): Delta => ({ type: 'assistant:message', message: { content } });
          const { ops } = await store.append(id, [{ type: 'user:message', message: { content: 'prompt' } }, say('first')]);
          // The turn is cut after its prompt: replies can no longer go under it, they go to the top level.
          await store.append(id, { type: 'thread:truncate', fromMessageId: (ops[1] as Op & { message: { id: string } }).message.id });
          for (let i = 0; i < MAX_HIDDEN; i++) {
            const { ops: [reply] } = await store.append(id, say(`retry ${i}`));
            await store.append(id, { type: 'thread:truncate', fromMessageId: (reply as Op & { message: { id: string } }).message.id });
          }
          // The range that closed the turn is no longer in the head, yet the reply is not hidden.
          const head = (await backendOf(store).getHead(id))!;
          assert.equal(head.clock.hidden.length, MAX_HIDDEN);
          await store.append(id, say('answer'));
          const t = (await store.getThread(id))!;
          assert.deepEqual(t.messages.map((m) => m.content), ['prompt', 'answer']);
          assert.deepStrictEqual(t, foldOps(id, await store.history(id)));
        },
        { cacheSize: 0 },
      ));
});

describe('a store made before hidden ranges were kept beside the head', () => {
  test('opens with every range of its whole heads, and bounds a head at its next write (migration)', () =>
    withStore('sqlite', async ({ store, open, dir }) => {
      const { id } = await store.createThread({});
      for (let i = 0; i < MAX_HIDDEN + 4; i++) {
        const { ops } = await store.append(id, [
          { type: 'user:message', message: { content: `prompt ${i}` } },
          { type: 'assistant:message', message: { content: `reply ${i}` } },
        ]);
        await store.append(id, { type: 'thread:truncate', fromMessageId: (ops[1] as Op & { message: { id: string } }).message.id });
      }
      const ops = await store.history(id);
      const whole = foldOps(id, ops);
      await store.close();
      // The database as written before: no side table, every range in the head row.
      const step = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE IF NOT EXISTS hidden_ranges'));
      const db = new Database(join(dir!, 'skein.db'));
      const { messages, ...core } = whole;
      const row = db.prepare('SELECT head FROM threads WHERE id = ?').get(id) as { head: string };
      const old = { ...core, messageCount: messages.length, updated: (JSON.parse(row.head) as { updated: number }).updated };
      db.prepare('UPDATE threads SET head = ? WHERE id = ?').run(JSON.stringify(old), id);
      db.exec(`DROP TABLE hidden_ranges; ${WITHOUT_TITLE_COLUMNS}`);
      db.pragma(`user_version = ${step}`);
      db.close();
      const again = await open({ cacheSize: 0 });
      assert.deepStrictEqual(await again.getThread(id), whole);
      assert.equal((await backendOf(again).getHead(id))!.clock.hidden.length, MAX_HIDDEN + 4, 'the head stays whole until written');
      await again.append(id, { type: 'user:message', message: { content: 'after' } });
      assert.equal((await backendOf(again).getHead(id))!.clock.hidden.length, MAX_HIDDEN);
      assert.deepStrictEqual(await again.getThread(id), foldOps(id, await again.history(id)));
      assert.deepEqual((await again.getThread(id))!.clock.hidden, whole.clock.hidden);
    }));
});
