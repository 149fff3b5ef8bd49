import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcRuns } from '../helpers/fc-runs.js';
import {
  applyDelta,
  applyOp,
  createOp,
  emptyThread,
  foldOps,
  hlcMs,
  insertByKey,
  isTopLevel,
  keyClient,
  keyHlc,
  step,
  type Delta,
  type Message,
  type Op,
  type Thread,
  type ThreadCore,
} from '../../src/model/index.js';
import { SkeinError, ValidationError } from '../../src/errors.js';
import {
  LINK_POOL,
  T0,
  THREAD_ID,
  actionArb,
  applyDeltaRecording,
  buildPlan,
  builtThreadArb,
  deepFreeze,
  dtArb,
  resolveAction,
  startThread,
  extend,
  threadPlanArb,
  type Built,
} from '../helpers/model-arbitraries.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A thread and one more delta to apply to it, resolved against it like the builders do. */
const threadAndDelta = fc
  .record({ built: builtThreadArb({ maxSteps: 10 }), action: actionArb(), dt: dtArb, clientId: fc.constantFrom('devA', 'devB') })
  .map(({ built, action, dt, clientId }) => {
    const delta = resolveAction(built.thread, action, { label: 'x', n: 0 });
    return { thread: built.thread, delta, clientId, now: built.now + dt };
  });

function isMessageDelta(d: Delta): d is Extract<Delta, { message: unknown }> {
  return d.type === 'user:message' || d.type === 'assistant:message' || d.type === 'system:message';
}

/** The thread as a store would materialize it from `step` alone: message rows with a hidden flag. */
function materializeWithStep(ops: readonly Op[]): Thread {
  let core: ThreadCore = (({ messages: _m, ...c }) => c)(emptyThread(THREAD_ID));
  const rows: { message: Message; hidden: boolean }[] = [];
  for (const op of ops) {
    const r = step(core, op);
    core = r.core;
    if (r.effect.kind === 'insert') rows.push({ message: r.effect.message, hidden: r.effect.hidden });
    else if (r.effect.kind === 'hide') {
      const { fromKey, toKey } = r.effect.range;
      for (const row of rows) if (row.message.key! >= fromKey && row.message.key! < toKey) row.hidden = true;
    }
  }
  const messages = rows
    .filter((r) => !r.hidden)
    .map((r) => r.message)
    .sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
  return { ...core, messages };
}

/** Replaces the random ids (uuidv7) a build made so that two builds of one plan compare equal. */
function withoutRandomIds(t: Thread): unknown {
  const uuid = (s: string) => (UUID_RE.test(s) ? '<uuid>' : s);
  return {
    ...t,
    // A share link id is random by design (apply.ts draws it), like a message id.
    ...(t.shareId !== undefined && { shareId: '<random>' }),
    messages: t.messages.map((m) => ({ ...m, id: uuid(m.id) })),
    clock: {
      ...t.clock,
      stamps: Object.fromEntries(Object.entries(t.clock.stamps).map(([k, s]) => [k, { ...s, opId: uuid(s.opId) }])),
      hidden: t.clock.hidden.map((r) => ({ ...r, opId: uuid(r.opId), fromMessageId: uuid(r.fromMessageId) })),
    },
  };
}

describe('applyDelta', () => {
  test('never mutates its input thread or delta, and raises v by exactly 1', () => {
    fc.assert(
      fc.property(threadAndDelta, ({ thread, delta, clientId, now }) => {
        const before = structuredClone(thread);
        const deltaBefore = structuredClone(delta);
        deepFreeze(thread);
        deepFreeze(delta);
        const next = applyDelta(thread, delta, { clientId, now });
        assert.deepStrictEqual(thread, before);
        assert.deepStrictEqual(delta, deltaBefore);
        assert.notEqual(next, thread);
        assert.equal(next.v, thread.v + 1);
        assert.equal(next.id, thread.id);
        assert.equal(next.created, thread.created);
      }),
      { numRuns: fcRuns(300) },
    );
  });

  test('a message gets its role from the op type, id/timestamp/key when absent, and is otherwise kept as given', () => {
    fc.assert(
      fc.property(threadAndDelta, ({ thread, delta, clientId, now }) => {
        fc.pre(isMessageDelta(delta));
        if (!isMessageDelta(delta)) return;
        const next = applyDelta(thread, delta, { clientId, now });
        // A fresh message is visible and appended as the newest message.
        assert.equal(next.messages.length, thread.messages.length + 1);
        const stored = next.messages.find((m) => !thread.messages.some((o) => o.id === m.id));
        assert.ok(stored, 'the new message is visible');
        const role = delta.type.slice(0, delta.type.indexOf(':'));
        assert.equal(stored.role, role);
        if (delta.message.id !== undefined) assert.equal(stored.id, delta.message.id);
        else assert.match(stored.id, UUID_RE);
        if (delta.message.timestamp !== undefined) assert.equal(stored.timestamp, delta.message.timestamp);
        else assert.equal(stored.timestamp, now);
        assert.equal(typeof stored.key, 'string');
        assert.equal(keyClient(stored.key!), clientId);
        // Exactly the input plus the four store fields: nothing dropped, no defaults added.
        assert.deepStrictEqual(stored, { ...delta.message, id: stored.id, timestamp: stored.timestamp, role, key: stored.key });
      }),
      { numRuns: fcRuns(300) },
    );
  });

  test('the new message is stamped by the hybrid clock and the messages stay in key order', () => {
    fc.assert(
      fc.property(threadAndDelta, ({ thread, delta, clientId, now }) => {
        fc.pre(isMessageDelta(delta));
        const next = applyDelta(thread, delta, { clientId, now });
        const added = next.messages.filter((m) => !thread.messages.some((o) => o.id === m.id));
        assert.equal(added.length, 1);
        const h = keyHlc(added[0]!.key!);
        assert.ok(h > thread.clock.maxHlc, 'its stamp is above every stamp the thread has seen');
        assert.equal(next.clock.maxHlc, h);
        // Physical time when the clock allows, else the last stamp's millisecond.
        assert.equal(hlcMs(h), Math.max(now, hlcMs(thread.clock.maxHlc)));
        for (let i = 1; i < next.messages.length; i++) assert.ok(next.messages[i - 1]!.key! < next.messages[i]!.key!);
      }),
      { numRuns: fcRuns(300) },
    );
  });

  test('tool results are keyed under the call message, other non-user messages under the open turn', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 14, mode: 'ops' }), (b) => {
        const byKey = new Map<string, Message>();
        for (const op of b.ops) {
          if (!('message' in op)) continue;
          const m = op.message;
          byKey.set(m.key!, m);
          const parentKey = m.key!.includes('!') ? m.key!.slice(0, m.key!.lastIndexOf('!')) : undefined;
          if (parentKey === undefined) continue;
          const parent = byKey.get(parentKey);
          assert.ok(parent, `the parent of ${m.key} is an earlier message`);
          if (m.toolResults?.length && parent.toolCalls?.length) {
            const callIds = new Set(parent.toolCalls.map((c) => c.id));
            assert.ok(m.toolResults.some((r) => callIds.has(r.toolCallId)), 'a result is keyed under the call it answers');
          } else {
            assert.equal(parent.role, 'user', 'other children hang under the turn opener');
            assert.ok(isTopLevel(parentKey), 'a turn opener has a top-level key');
          }
        }
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('a bare delta and the op completeOp makes from it give the same thread', () => {
    fc.assert(
      fc.property(threadPlanArb({ maxSteps: 12 }), (plan) => {
        const viaDelta = buildPlan(plan, 'delta');
        const viaOps = buildPlan(plan, 'ops');
        assert.deepStrictEqual(withoutRandomIds(viaDelta.thread), withoutRandomIds(viaOps.thread));
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('a complete op passes the op schema and applyDelta(thread, op) equals applyOp(thread, op)', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 10, mode: 'ops' }), (b) => {
        let t = emptyThread(THREAD_ID);
        for (const op of b.ops) {
          const viaSchema = applyDelta(t, structuredClone(op));
          t = applyOp(t, op);
          assert.deepStrictEqual(viaSchema, t);
        }
      }),
      { numRuns: fcRuns(150) },
    );
  });
});

describe('folding ops', () => {
  test('the fold of the ops equals the thread built incrementally, at every version', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 14, mode: 'ops' }), (b: Built) => {
        assert.equal(b.thread.v, b.ops.length);
        // A store folds with `step` and keeps message rows with a hidden flag; the in-memory
        // fold must agree with it, and the thread at version k is the fold of its first k ops.
        assert.deepStrictEqual(materializeWithStep(b.ops), b.thread);
        for (let k = 0; k <= b.ops.length; k++) {
          const folded = foldOps(THREAD_ID, b.ops.slice(0, k));
          assert.equal(folded.v, k);
          assert.deepStrictEqual(folded, b.history[k]);
        }
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('insertByKey keeps the array sorted and does not touch its input', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 10 }), fc.nat(), (b, pick) => {
        fc.pre(b.thread.messages.length > 0);
        const all = b.thread.messages;
        const m = all[pick % all.length]!;
        const rest = deepFreeze(all.filter((x) => x !== m));
        const out = insertByKey(rest, m);
        assert.deepStrictEqual(out, all);
      }),
      { numRuns: fcRuns(200) },
    );
  });
});

describe('thread:truncate', () => {
  test('hides the visible messages from the index on; they stay recoverable from the log', () => {
    fc.assert(
      fc.property(builtThreadArb({ minSteps: 1, maxSteps: 12, mode: 'ops' }), fc.nat(), fc.boolean(), fc.integer({ min: -3000, max: 3000 }), (b, pick, byId, dt) => {
        const before = b.thread;
        fc.pre(before.messages.length > 0);
        const index = pick % before.messages.length;
        const delta: Delta = byId ? { type: 'thread:truncate', fromMessageId: before.messages[index]!.id } : { type: 'thread:truncate', fromIndex: index };
        const { thread: after, op } = applyDeltaRecording(before, delta, { clientId: 'devA', now: b.now + dt });
        assert.equal(after.v, before.v + 1);
        assert.deepStrictEqual(after.messages, before.messages.slice(0, index));
        assert.equal(op.type, 'thread:truncate');
        if (op.type === 'thread:truncate') {
          assert.equal(op.fromIndex, index);
          assert.equal(op.fromMessageId, before.messages[index]!.id);
        }
        // Time travel: the fold of the first v ops still has the hidden messages.
        const ops = [...b.ops, op];
        assert.deepStrictEqual(foldOps(THREAD_ID, ops.slice(0, before.v)).messages, before.messages);
        assert.deepStrictEqual(foldOps(THREAD_ID, ops).messages, after.messages);
      }),
      { numRuns: fcRuns(300) },
    );
  });

  test('messages written after a truncate stay visible, also inside the truncated turn', () => {
    fc.assert(
      fc.property(
        builtThreadArb({ minSteps: 1, maxSteps: 10 }),
        fc.nat(),
        fc.array(fc.record({ action: actionArb({ truncate: false }), dt: dtArb }), { minLength: 1, maxLength: 5 }),
        (b, pick, steps) => {
          fc.pre(b.thread.messages.length > 0);
          const index = pick % b.thread.messages.length;
          let t = applyDelta(b.thread, { type: 'thread:truncate', fromIndex: index }, { clientId: 'devA', now: b.now });
          let now = b.now;
          const namer = { label: 'y', n: 0 };
          for (const s of steps) {
            now += s.dt;
            const delta = resolveAction(t, s.action, namer);
            const next = applyDelta(t, delta, { clientId: 'devA', now });
            if (isMessageDelta(delta)) assert.equal(next.messages.length, t.messages.length + 1, 'the new message is visible');
            t = next;
          }
        },
      ),
      { numRuns: fcRuns(300) },
    );
  });

  test('an assistant reply after truncating inside a turn is visible (regression)', () => {
    let t = startThread({}, 'devA', T0).thread;
    t = applyDelta(t, { type: 'user:message', message: { content: 'q' } }, { clientId: 'devA', now: T0 + 1 });
    t = applyDelta(t, { type: 'assistant:message', message: { content: 'a1' } }, { clientId: 'devA', now: T0 + 2 });
    t = applyDelta(t, { type: 'thread:truncate', fromIndex: 1 }, { clientId: 'devA', now: T0 + 3 });
    assert.deepStrictEqual(
      t.messages.map((m) => m.content),
      ['q'],
    );
    t = applyDelta(t, { type: 'assistant:message', message: { content: 'a2' } }, { clientId: 'devA', now: T0 + 4 });
    assert.deepStrictEqual(
      t.messages.map((m) => m.content),
      ['q', 'a2'],
    );
  });
});

describe('rule 7: an op already present is not applied twice', () => {
  test('applying the op just applied again returns the same thread', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 12, mode: 'ops' }), (b) => {
        for (let k = 1; k < b.ops.length; k++) {
          const op = b.ops[k]!;
          // Link ops leave no op id in the thread, so the pure function cannot recognise them
          // (stores deduplicate by opId in their log).
          if (op.type.endsWith(':link')) continue;
          const once = b.history[k + 1]!;
          assert.equal(applyOp(once, op), once);
          assert.equal(applyDelta(once, structuredClone(op)), once);
        }
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('every visible message, winning scalar and hidden range of a thread is recognised', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 14, mode: 'ops' }), (b) => {
        const t = b.thread;
        const present = b.ops.filter((op) => {
          if ('message' in op) return t.messages.some((m) => m.id === op.message.id);
          if (op.type === 'thread:truncate') return true;
          return Object.values(t.clock.stamps).some((s) => s.opId === op.opId);
        });
        for (const op of present) assert.equal(applyOp(t, op), t, `${op.type} ${op.opId}`);
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('step folds a truncate it already holds with no effect', () => {
    let t = startThread({}, 'devA', T0).thread;
    t = applyDelta(t, { type: 'user:message', message: { content: 'q' } }, { clientId: 'devA', now: T0 + 1 });
    const { thread: cut, op } = applyDeltaRecording(t, { type: 'thread:truncate', fromIndex: 0 }, { clientId: 'devA', now: T0 + 2 });
    const { messages: _m, ...core } = cut;
    const again = step(core, op);
    assert.deepStrictEqual(again.effect, { kind: 'none' });
    assert.deepStrictEqual(again.core.clock.hidden, cut.clock.hidden);
    const first = step((({ messages: _x, ...c }) => c)(t), op);
    assert.equal(first.effect.kind, 'hide');
  });

  test('a message delta with an id the thread holds is a no-op (an idempotent retry)', () => {
    let t = startThread({}, 'devA', T0).thread;
    t = applyDelta(t, { type: 'user:message', message: { id: 'm1', content: 'hi' } }, { clientId: 'devA', now: T0 + 1 });
    const again = applyDelta(t, { type: 'user:message', message: { id: 'm1', content: 'hi' } }, { clientId: 'devA', now: T0 + 2 });
    assert.equal(again, t);
    assert.equal(again.messages.length, 1);
  });
});

describe('scalars and links', () => {
  test('title, meta, env, archive and links follow the latest op', () => {
    let t = startThread({ title: 'a', meta: { k: 1 } }, 'devA', T0).thread;
    const opts = (dt: number) => ({ clientId: 'devA', now: T0 + dt });
    t = applyDelta(t, { type: 'title', value: 'b' }, opts(1));
    t = applyDelta(t, { type: 'meta:set', key: 'k', value: { x: [1, 2] } }, opts(2));
    t = applyDelta(t, { type: 'meta:set', key: 'j', value: 'v' }, opts(3));
    t = applyDelta(t, { type: 'env:set', env: { cwd: '/w', shell: 'zsh' } }, opts(4));
    t = applyDelta(t, { type: 'archive' }, opts(5));
    t = applyDelta(t, { type: 'child:link', threadId: LINK_POOL[1]! }, opts(6));
    t = applyDelta(t, { type: 'child:link', threadId: LINK_POOL[0]! }, opts(7));
    t = applyDelta(t, { type: 'summary:link', threadId: LINK_POOL[2]! }, opts(8));
    assert.equal(t.title, 'b');
    assert.deepStrictEqual(t.meta, { k: { x: [1, 2] }, j: 'v' });
    assert.deepStrictEqual(t.env, { cwd: '/w', shell: 'zsh' });
    assert.equal(t.archived, T0 + 5);
    assert.deepStrictEqual(t.childThreadIDs, [LINK_POOL[0], LINK_POOL[1]]);
    assert.deepStrictEqual(t.summaryThreadIDs, [LINK_POOL[2]]);
    // Clock going backwards: the hybrid clock still orders the later op last.
    t = applyDelta(t, { type: 'restore' }, opts(-10_000));
    assert.equal(t.archived, undefined);
    assert.ok(!('archived' in t));
    t = applyDelta(t, { type: 'meta:set', key: 'k', value: null }, opts(-20_000));
    t = applyDelta(t, { type: 'title', value: 'c' }, opts(-30_000));
    assert.deepStrictEqual(t.meta, { j: 'v' });
    assert.equal(t.title, 'c');
    t = applyDelta(t, { type: 'meta:set', key: 'j', value: null }, opts(9));
    assert.ok(!('meta' in t), 'deleting the last meta key drops meta');
    assert.equal(t.v, 13);
  });

  test('createOp gives a thread at v 1 with the given fields', () => {
    const op = createOp(THREAD_ID, { title: 't', env: { cwd: '/w' }, meta: { a: 1 }, mainThreadID: LINK_POOL[0]! }, { clientId: 'devA', now: T0 });
    const t = applyOp(emptyThread(THREAD_ID), op);
    assert.equal(t.v, 1);
    assert.equal(t.created, T0);
    assert.equal(t.title, 't');
    assert.deepStrictEqual(t.env, { cwd: '/w' });
    assert.deepStrictEqual(t.meta, { a: 1 });
    assert.equal(t.mainThreadID, LINK_POOL[0]);
    assert.deepStrictEqual(t.messages, []);
  });
});

describe('bad input', () => {
  const base = (() => {
    const b = startThread({ title: 't' }, 'devA', T0);
    return extend(
      b,
      [
        { action: { kind: 'user', content: 'q', giveId: true }, dt: 1 },
        { action: { kind: 'assistant', content: 'a', calls: 1, giveId: false }, dt: 1 },
      ],
      { clientId: 'devA', now0: T0, mode: 'ops', namer: { label: 'bad', n: 0 } },
    );
  })();
  const thread = deepFreeze(base.thread);
  const goodOp = base.ops.at(-1)!;
  const protoKey = (value: unknown) => JSON.parse(`{"__proto__": ${JSON.stringify(value)}}`) as Record<string, unknown>;

  const cases: [string, unknown, string][] = [
    ['unknown op type', { type: 'user:msg', message: { content: 'x' } }, 'delta.type'],
    ['op type of another kind', { type: 'thread:create' }, 'delta.type'],
    ['not an object', 'hello', 'delta'],
    ['null', null, 'delta'],
    ['missing message', { type: 'user:message' }, 'delta.message'],
    ['non-string content', { type: 'user:message', message: { content: 42 } }, 'delta.message.content'],
    ['toolCalls not an array', { type: 'assistant:message', message: { content: '', toolCalls: 'x' } }, 'delta.message.toolCalls'],
    ['tool call without id', { type: 'assistant:message', message: { content: '', toolCalls: [{ name: 'n', input: 1 }] } }, 'delta.message.toolCalls.0.id'],
    ['tool call with numeric id', { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 7, name: 'n', input: 1 }] } }, 'delta.message.toolCalls.0.id'],
    ['tool call with empty name', { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c', name: '', input: 1 }] } }, 'delta.message.toolCalls.0.name'],
    ['tool input with a non-finite number', { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c', name: 'n', input: { a: [1, NaN] } }] } }, 'delta.message.toolCalls.0.input.a.1'],
    ['duplicate tool call ids', { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c', name: 'n', input: 1 }, { id: 'c', name: 'm', input: 2 }] } }, 'delta.message.toolCalls'],
    ['tool result without toolCallId', { type: 'user:message', message: { content: '', toolResults: [{ output: 1 }] } }, 'delta.message.toolResults.0.toolCallId'],
    ['tool result with string isError', { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c', output: 1, isError: 'yes' }] } }, 'delta.message.toolResults.0.isError'],
    ['negative tokens', { type: 'assistant:message', message: { content: '', resourceUsage: { inputTokens: -1 } } }, 'delta.message.resourceUsage.inputTokens'],
    ['string tokens', { type: 'assistant:message', message: { content: '', resourceUsage: { outputTokens: '12' } } }, 'delta.message.resourceUsage.outputTokens'],
    ['fractional tokens', { type: 'assistant:message', message: { content: '', resourceUsage: { cacheReadTokens: 1.5 } } }, 'delta.message.resourceUsage.cacheReadTokens'],
    ['infinite cost', { type: 'assistant:message', message: { content: '', resourceUsage: { costUSD: Infinity } } }, 'delta.message.resourceUsage.costUSD'],
    ['timestamp not a number', { type: 'user:message', message: { content: 'x', timestamp: '2024-01-01' } }, 'delta.message.timestamp'],
    ['NaN timestamp', { type: 'user:message', message: { content: 'x', timestamp: NaN } }, 'delta.message.timestamp'],
    ['negative timestamp', { type: 'user:message', message: { content: 'x', timestamp: -1 } }, 'delta.message.timestamp'],
    ['key set by the caller', { type: 'user:message', message: { content: 'x', key: 'abc' } }, 'delta.message.key'],
    ['role set by the caller', { type: 'assistant:message', message: { content: 'x', role: 'user' } }, 'delta.message.role'],
    ['extra field with a non-finite number', { type: 'user:message', message: { content: 'x', score: -Infinity } }, 'delta.message.score'],
    ['extra field named constructor', { type: 'user:message', message: { content: 'x', constructor: 1 } }, 'delta.message.constructor'],
    ['extra field named __proto__', { type: 'user:message', message: JSON.parse('{"content": "x", "__proto__": {"polluted": true}}') as unknown }, 'delta.message.__proto__'],
    ['both fromIndex and fromMessageId', { type: 'thread:truncate', fromIndex: 0, fromMessageId: 'x' }, 'delta'],
    ['meta value NaN', { type: 'meta:set', key: 'k', value: NaN }, 'delta.value'],
    ['meta value with a nested Infinity', { type: 'meta:set', key: 'k', value: { a: { b: Infinity } } }, 'delta.value.a.b'],
    ['meta value that is not JSON', { type: 'meta:set', key: 'k', value: new Date(0) }, 'delta.value'],
    ['title not a string', { type: 'title', value: 5 }, 'delta.value'],
    ['env cwd not a string', { type: 'env:set', env: { cwd: 5 } }, 'delta.env.cwd'],
    ['link to a non-thread id', { type: 'child:link', threadId: 'nope' }, 'delta.threadId'],
    ['truncate beyond the visible messages', { type: 'thread:truncate', fromIndex: 2 }, 'delta.fromIndex'],
    ['truncate at a negative index', { type: 'thread:truncate', fromIndex: -1 }, 'delta.fromIndex'],
    ['truncate at an unknown message id', { type: 'thread:truncate', fromMessageId: 'nope' }, 'delta.fromMessageId'],
    ['unknown field on a delta', { type: 'archive', extra: 1 }, 'delta'],
    ['op with a malformed hlc', { ...goodOp, hlc: 'zz' }, 'op.hlc'],
    ['op with a non-finite at', { ...goodOp, at: Infinity }, 'op.at'],
    ['op whose message has no key', { ...goodOp, message: { ...(goodOp as { message: object }).message, key: undefined } }, 'op.message.key'],
  ];

  for (const [name, delta, field] of cases) {
    test(`${name}: VALIDATION error naming ${field}, thread unchanged`, () => {
      const before = structuredClone(thread);
      assert.throws(
        () => applyDelta(thread, delta as Delta, { clientId: 'devA', now: T0 + 10 }),
        (err: unknown) => {
          assert.ok(err instanceof SkeinError, `a SkeinError, got ${String(err)}`);
          assert.equal(err.code, 'VALIDATION');
          assert.ok(err instanceof ValidationError);
          assert.equal(err.field, field);
          assert.equal(err.details?.field, field);
          return true;
        },
      );
      assert.deepStrictEqual(thread, before);
    });
  }

  test('the valid forms of the same deltas are accepted (the cases above fail for their one defect)', () => {
    const ok: Delta[] = [
      { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c', name: 'n', input: { a: [1, 2] } }], resourceUsage: { inputTokens: 0, costUSD: 0.5 } } },
      { type: 'user:message', message: { content: 'x', timestamp: 0, score: 1 } },
      { type: 'meta:set', key: 'k', value: { a: { b: 1 } } },
      { type: 'thread:truncate', fromIndex: 1 },
      { type: 'child:link', threadId: LINK_POOL[0]! },
    ];
    for (const d of ok) assert.equal(applyDelta(thread, d, { clientId: 'devA', now: T0 + 10 }).v, thread.v + 1);
    assert.equal(applyDelta(thread, structuredClone(goodOp)), thread, 'the unmodified op is accepted (and already present)');
  });

  test("a caller's data may hold any key: __proto__, constructor and prototype are kept as data, no prototype touched", () => {
    const input = protoKey({ polluted: true });
    const called = applyDelta(thread, { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c', name: 'n', input }] } }, { clientId: 'devA', now: T0 + 10 });
    assert.deepStrictEqual(called.messages.at(-1)!.toolCalls![0]!.input, input);
    let t = thread;
    for (const key of ['__proto__', 'constructor', 'prototype']) t = applyDelta(t, { type: 'meta:set', key, value: protoKey(key) }, { clientId: 'devA', now: T0 + 10 });
    assert.deepStrictEqual(Object.keys(t.meta!), ['__proto__', 'constructor', 'prototype']);
    assert.equal(Object.getPrototypeOf(t.meta), Object.prototype);
    assert.deepStrictEqual(t.meta!['__proto__'], protoKey('__proto__'));
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  test('an op for another thread is refused', () => {
    const op = { ...goodOp, threadId: LINK_POOL[0]! } as Op;
    assert.throws(() => applyOp(thread, op), (e: unknown) => e instanceof SkeinError && e.code === 'VALIDATION');
  });
});
