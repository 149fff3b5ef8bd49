import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_CALL_MESSAGES,
  applyDelta,
  completeOp,
  createOp,
  emptyThread,
  inTurn,
  merge,
  step,
  type Delta,
  type Message,
  type Thread,
  type ThreadCore,
} from '../../src/model/index.js';
import { MAX_HIDDEN, boundHidden, withAllRanges } from '../../src/model/hidden.js';
import { T0, THREAD_ID, builtThreadArb, scenarioArb } from '../helpers/model-arbitraries.js';
import { fcRuns } from '../helpers/fc-runs.js';

/**
 * Folds deltas into a head the way a store does (completeOp + step on the core, no message
 * array), and returns the head as a store serializes it.
 */
function headAfter(deltas: Iterable<Delta>): { core: ThreadCore; bytes: number } {
  const { messages: _m, ...empty } = emptyThread(THREAD_ID);
  let core: ThreadCore = step(empty, createOp(THREAD_ID, { title: 'bounded' }, { clientId: 'devA', now: T0 })).core;
  let now = T0;
  let count = 0;
  for (const delta of deltas) {
    now += 1;
    const op = completeOp(core, delta, { clientId: 'devA', now, messageAt: () => undefined, indexOf: () => undefined });
    core = step(core, op).core;
    count++;
  }
  return { core, bytes: Buffer.byteLength(JSON.stringify({ ...core, messageCount: count, updated: now })) };
}

const user = (i: number): Delta => ({ type: 'user:message', message: { id: `u${i}`, content: `prompt ${i}` } });
const call = (i: number): Delta => ({
  type: 'assistant:message',
  message: { id: `a${i}`, content: `calling ${i}`, toolCalls: [{ id: `call_${i}`, name: 'bash', input: { i } }], resourceUsage: { inputTokens: 10, outputTokens: 2 } },
});
const result = (i: number): Delta => ({ type: 'user:message', message: { id: `r${i}`, content: '', toolResults: [{ toolCallId: `call_${i}`, output: 'ok' }] } });

/** Roles alternate; every assistant message calls a tool and no result comes back. */
function* unansweredConversation(calls: number): Generator<Delta> {
  for (let i = 0; i < calls; i++) {
    yield user(i);
    yield call(i);
  }
}

/** One user prompt, then `calls` assistant messages that each call a tool, never answered. */
function* unansweredTurn(calls: number): Generator<Delta> {
  yield user(0);
  for (let i = 0; i < calls; i++) yield call(i);
}

/** One user prompt, then call, result, call, result... */
function* answeredTurn(calls: number): Generator<Delta> {
  yield user(0);
  for (let i = 0; i < calls; i++) {
    yield call(i);
    yield result(i);
  }
}

// Digits of counters (v, messageCount, ids of the same width) are all that may differ.
const SLACK = 64;

describe('the head stays bounded whatever the thread holds', () => {
  test('10,000 unanswered tool calls, roles alternating: the head is no larger than with 10', () => {
    const small = headAfter(unansweredConversation(10));
    const big = headAfter(unansweredConversation(10_000));
    assert.ok(big.bytes <= small.bytes + SLACK, `head of 10,000 calls: ${big.bytes} B, of 10: ${small.bytes} B`);
    assert.deepStrictEqual(Object.keys(big.core.clock.openCalls), ['call_9999']);
  });

  test('10,000 unanswered tool calls in one turn: the head is no larger than with 10', () => {
    const small = headAfter(unansweredTurn(10));
    const big = headAfter(unansweredTurn(10_000));
    assert.ok(big.bytes <= small.bytes + SLACK, `head of 10,000 calls: ${big.bytes} B, of 10: ${small.bytes} B`);
    assert.equal(Object.keys(big.core.clock.openCalls).length, MAX_CALL_MESSAGES);
  });

  test('10,000 answered tool calls: the head is no larger than with 10', () => {
    const small = headAfter(answeredTurn(10));
    const big = headAfter(answeredTurn(10_000));
    assert.ok(big.bytes <= small.bytes + SLACK, `head of 10,000 calls: ${big.bytes} B, of 10: ${small.bytes} B`);
    assert.deepStrictEqual(big.core.clock.openCalls, {});
  });

  test('open calls are the current turn\'s, from at most MAX_CALL_MESSAGES messages, on every built thread and every merge', () => {
    const bounded = (t: Thread) => {
      const keys = new Set(Object.values(t.clock.openCalls));
      assert.ok(keys.size <= MAX_CALL_MESSAGES);
      for (const k of keys) assert.ok(inTurn(k, t.clock.turnKey), `call of ${k} outside turn ${t.clock.turnKey}`);
    };
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 30, mix: { messages: 4 } }), (b) => bounded(b.thread)),
      { numRuns: fcRuns(300) },
    );
    fc.assert(
      fc.property(scenarioArb({ baseSteps: 5, sideSteps: 8 }), (s) => bounded(merge(s.base.thread, s.local.thread, s.remote.thread))),
      { numRuns: fcRuns(300) },
    );
  });
});

/**
 * Rounds of two prompts, the second then truncated away (an edited prompt), folded the way a store
 * folds them and bounded the way it stores the head (boundHidden at every commit).
 */
function headAfterTruncations(rounds: number): { core: ThreadCore; bytes: number } {
  const { messages: _m, ...empty } = emptyThread(THREAD_ID);
  let core: ThreadCore = step(empty, createOp(THREAD_ID, {}, { clientId: 'devA', now: T0 })).core;
  const visible: Message[] = [];
  let now = T0;
  for (let i = 0; i < rounds; i++) {
    for (const delta of [user(2 * i), user(2 * i + 1), { type: 'thread:truncate', fromIndex: visible.length + 1 } as Delta]) {
      const op = completeOp(core, delta, { clientId: 'devA', now: ++now, messageAt: (k) => visible[k], indexOf: () => undefined });
      const r = step(core, op);
      core = boundHidden(r.core);
      if (r.effect.kind === 'insert' && !r.effect.hidden) visible.push(r.effect.message);
      if (op.type === 'thread:truncate') visible.length = op.fromIndex;
    }
  }
  return { core, bytes: Buffer.byteLength(JSON.stringify({ ...core, messageCount: visible.length, updated: now })) };
}

describe('the stored head keeps the newest hidden ranges only', () => {
  test('10,000 truncations: the stored head is no larger than with 10', () => {
    const small = headAfterTruncations(10);
    const big = headAfterTruncations(10_000);
    assert.ok(big.bytes <= small.bytes + SLACK, `head of 10,000 truncations: ${big.bytes} B, of 10: ${small.bytes} B`);
    assert.equal(big.core.clock.hidden.length, MAX_HIDDEN);
    // The ranges kept are the newest; every one left out ends at or below hiddenBefore.
    const last = big.core.clock.hidden.at(-1)!;
    assert.equal(last.fromMessageId, 'u19999');
    assert.ok(big.core.clock.hidden.every((r) => r.toKey > big.core.clock.hiddenBefore!));
  });

  test('boundHidden keeps the MAX_HIDDEN ranges ending last, in their order, and is idempotent', () => {
    fc.assert(
      fc.property(builtThreadArb({ minSteps: 10, maxSteps: 40, mix: { truncate: 4, scalars: false } }), (b) => {
        const all = b.thread.clock.hidden;
        const bounded = boundHidden(b.thread);
        assert.deepStrictEqual(boundHidden(bounded), bounded);
        if (all.length <= MAX_HIDDEN) return assert.equal(bounded, b.thread);
        const ends = all.map((r) => r.toKey).sort();
        const cut = ends[all.length - MAX_HIDDEN - 1]!;
        assert.deepStrictEqual(bounded.clock.hidden, all.filter((r) => r.toKey > cut));
        assert.equal(bounded.clock.hiddenBefore, cut);
        assert.deepStrictEqual(withAllRanges(bounded, all), b.thread);
      }),
      { numRuns: fcRuns(300) },
    );
  });
});

describe('results still find their calls', () => {
  function thread(deltas: Iterable<Delta>): Thread {
    let t: Thread = applyDelta(emptyThread(THREAD_ID), createOp(THREAD_ID, {}, { clientId: 'devA', now: T0 }));
    let now = T0;
    for (const d of deltas) t = applyDelta(t, d, { clientId: 'devA', now: ++now });
    return t;
  }
  const byId = (t: Thread, id: string): Message => t.messages.find((m) => m.id === id)!;
  const parentOf = (key: string) => key.slice(0, key.lastIndexOf('!'));

  test('a result answering one of the last calling messages of the turn is keyed under its call', () => {
    const t = thread([...unansweredTurn(MAX_CALL_MESSAGES + 3), result(3 + 0), result(MAX_CALL_MESSAGES + 2)]);
    // call_3 is among the last MAX_CALL_MESSAGES calling messages; so is the last one.
    assert.equal(parentOf(byId(t, 'r3').key!), byId(t, 'a3').key);
    assert.equal(parentOf(byId(t, `r${MAX_CALL_MESSAGES + 2}`).key!), byId(t, `a${MAX_CALL_MESSAGES + 2}`).key);
  });

  test('applyDelta finds a call the head forgot in the thread: the late result sits under it', () => {
    // call_0 of the first turn; a second turn starts, then the late result of call_0 arrives.
    const t = thread([user(0), call(0), user(1), result(0)]);
    assert.ok(!Object.hasOwn(t.clock.openCalls, 'call_0'));
    assert.equal(parentOf(byId(t, 'r0').key!), byId(t, 'a0').key);
    assert.deepStrictEqual(t.messages.map((m) => m.id), ['u0', 'a0', 'r0', 'u1']);
  });

  test('with no way to look the call up, the late result is keyed in the open turn, after its call', () => {
    const t0 = thread([user(0), call(0), user(1)]);
    const { messages, ...core } = t0;
    const ctx = { clientId: 'devA', now: T0 + 100, messageAt: () => undefined, indexOf: () => undefined };
    const op = completeOp(core, result(0), ctx);
    assert.ok('message' in op);
    const key = op.message.key!;
    assert.equal(parentOf(key), byId(t0, 'u1').key, 'a child of the open turn');
    assert.ok(key > byId(t0, 'a0').key!, 'after its call');
    // Given a lookup (what a store passes), the same delta goes under its call.
    const found = completeOp(core, result(0), { ...ctx, callKey: (id: string) => (id === 'call_0' ? byId(t0, 'a0').key : undefined) });
    assert.ok('message' in found);
    assert.equal(parentOf(found.message.key!), byId(t0, 'a0').key);
    assert.equal(messages.length, 3);
  });
});
