/**
 * The direct checks of message deltas (`isPlainMessageDelta`, the write path) and of complete
 * message ops (`isPlainMessageOp`, the sync wire and the log) stand in for the schema: they must
 * never accept what the schema refuses, and they must accept the common messages (else they save
 * nothing). Checked on generated messages and ops and on mutations of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPlainMessageDelta, isPlainMessageOp } from '../../src/model/message-check.js';
import { parseDelta, parseDeltaBySchema, parseOp, parseOpBySchema } from '../../src/model/schema.js';
import { ValidationError } from '../../src/errors.js';

const schemaAccepts = (v: unknown): boolean => {
  try {
    parseDeltaBySchema(v);
    return true;
  } catch (err) {
    if (err instanceof ValidationError) return false;
    throw err;
  }
};

const text = fc.string({ maxLength: 20 });
const key = fc.oneof(fc.constantFrom('id', 'call_1', 'x', '__proto__', 'constructor', ''), fc.string({ maxLength: 8 }));
/** Values that are JSON and values that are not (undefined, NaN, Infinity, a Date, a Map, deep nesting). */
const loose = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(undefined, Number.NaN, Infinity, -1, 0.5, 2 ** 60, new Date(0), new Map(), [undefined], { a: undefined }),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}}') as unknown),
  fc.constant(Array.from({ length: 70 }).reduce<unknown>((acc) => [acc], 1)),
);
const rec = { noNullPrototype: true } as const;
/** The common messages: what agents write. */
const common = fc.record(
  {
    type: fc.constantFrom('user:message', 'assistant:message', 'system:message'),
    message: fc.record(
      {
        content: fc.string(),
        id: fc.string({ minLength: 1, maxLength: 50 }),
        timestamp: fc.nat(),
        toolCalls: fc.uniqueArray(fc.record({ id: fc.constantFrom('a', 'b', 'c'), name: fc.constantFrom('bash', 'read'), input: fc.jsonValue({ maxDepth: 3 }) }, rec), {
          selector: (c) => c.id,
          maxLength: 3,
        }),
        toolResults: fc.array(fc.record({ toolCallId: fc.constantFrom('a', 'b'), output: fc.jsonValue({ maxDepth: 3 }), isError: fc.boolean() }, rec), { maxLength: 2 }),
        resourceUsage: fc.record(
          { model: fc.constantFrom('m1', 'm2'), inputTokens: fc.nat(), outputTokens: fc.nat(), cacheReadTokens: fc.nat(), cacheWriteTokens: fc.nat(), costUSD: fc.double({ min: 0, max: 5, noNaN: true }) },
          { requiredKeys: [], ...rec },
        ),
        extra: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: ['content'], ...rec },
    ),
  },
  rec,
);

type Obj = Record<string, unknown>;
const KEYS = ['type', 'message', 'id', 'content', 'timestamp', 'toolCalls', 'toolResults', 'resourceUsage', 'name', 'input', 'toolCallId', 'output', 'isError',
  'model', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costUSD', 'key', 'role', 'extra', 'fields', '__proto__', 'constructor', 'prototype'];
/** One change: in the delta, its message, a tool call, a result or the usage, set (or delete) a key. */
const mutation = fc.record({
  where: fc.constantFrom('delta', 'message', 'call', 'result', 'usage'),
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 4 })),
  value: fc.oneof(loose, text, key, fc.nat(), fc.array(loose, { maxLength: 2 })),
  remove: fc.boolean(),
});
const mutated = fc.tuple(common, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([d, changes]) => {
  const copy = structuredClone(d) as Obj;
  for (const c of changes) {
    const m = copy.message as Obj | undefined;
    const target = (c.where === 'delta' ? copy : c.where === 'message' ? m : c.where === 'usage' ? m?.resourceUsage
      : ((c.where === 'call' ? m?.toolCalls : m?.toolResults) as unknown[] | undefined)?.[0]) as Obj | undefined;
    if (!target || typeof target !== 'object') continue;
    if (c.remove) delete target[c.key];
    else Object.defineProperty(target, c.key, { value: c.value, writable: true, enumerable: true, configurable: true });
  }
  return copy;
});

test('the direct check accepts only deltas the schema accepts', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(mutated, mutated, loose), (d) => {
      if (!isPlainMessageDelta(d)) return;
      accepted++;
      assert.equal(schemaAccepts(d), true, JSON.stringify(d));
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 500, `the mutations leave some deltas valid (${accepted})`);
});

test('the common messages take the direct check, and parseDelta answers like the schema', () => {
  fc.assert(
    fc.property(common, (d) => {
      assert.equal(isPlainMessageDelta(d), true, JSON.stringify(d));
      assert.equal(schemaAccepts(d), true);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.oneof(common, mutated), (d) => {
      let ok = true;
      try {
        parseDelta(d);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        ok = false;
      }
      assert.equal(ok, schemaAccepts(d));
    }),
    { numRuns: 2000 },
  );
});

const opSchemaAccepts = (v: unknown): boolean => {
  try {
    parseOpBySchema(v);
    return true;
  } catch (err) {
    if (err instanceof ValidationError) return false;
    throw err;
  }
};

/** The common ops: a common message with the header and stored fields a store gives it. */
const commonOp = fc
  .tuple(common, fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1e9 }), fc.nat(), fc.constantFrom('c1', 'dev:a', 'x_y.z-1'))
  .map(([d, opId, v, at, clientId]) => {
    const m = d.message as Obj;
    const role = (d.type as string).split(':')[0];
    const message = { ...m, id: opId, timestamp: (m.timestamp as number | undefined) ?? at, role, key: `0123456789abcdef${clientId}` };
    return { opId, threadId: 'T-0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b', v, at, clientId, hlc: 'fedcba9876543210', type: d.type, message } as Obj;
  });
const OP_KEYS = [...KEYS, 'opId', 'threadId', 'v', 'at', 'clientId', 'hlc'];
const opMutation = fc.record({
  where: fc.constantFrom('op', 'op', 'message', 'message', 'call', 'usage'),
  key: fc.oneof(fc.constantFrom(...OP_KEYS), fc.string({ maxLength: 4 })),
  value: fc.oneof(loose, text, key, fc.nat(), fc.constantFrom('T-0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b', 'fedcba9876543210', 'user', 'robot', 'zz', 0, -1, 1.5)),
  remove: fc.boolean(),
});
const mutatedOp = fc.tuple(commonOp, fc.array(opMutation, { minLength: 1, maxLength: 2 })).map(([op, changes]) => {
  const copy = structuredClone(op);
  for (const c of changes) {
    const m = copy.message as Obj | undefined;
    const target = (c.where === 'op' ? copy : c.where === 'message' ? m : c.where === 'usage' ? m?.resourceUsage : (m?.toolCalls as unknown[] | undefined)?.[0]) as Obj | undefined;
    if (!target || typeof target !== 'object') continue;
    if (c.remove) delete target[c.key];
    else Object.defineProperty(target, c.key, { value: c.value, writable: true, enumerable: true, configurable: true });
  }
  return copy;
});

test('the direct op check accepts only ops the schema accepts, and takes the common ones', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(mutatedOp, mutatedOp, mutated, loose), (op) => {
      if (!isPlainMessageOp(op)) return;
      accepted++;
      assert.equal(opSchemaAccepts(op), true, JSON.stringify(op));
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 300, `the mutations leave some ops valid (${accepted})`);
  fc.assert(
    fc.property(commonOp, (op) => {
      assert.equal(isPlainMessageOp(op), true, JSON.stringify(op));
      assert.equal(isPlainMessageOp(JSON.parse(JSON.stringify(op))), true, 'as it comes off the wire');
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.oneof(commonOp, mutatedOp), (op) => {
      let ok = true;
      try {
        parseOp(op);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        ok = false;
      }
      assert.equal(ok, opSchemaAccepts(op), JSON.stringify(op));
    }),
    { numRuns: 2000 },
  );
});

test('an op whose message id is not its op id, or whose header is off, is refused as before', () => {
  const op = fc.sample(commonOp, { numRuns: 1, seed: 7 })[0]!;
  assert.equal(isPlainMessageOp(op), true);
  for (const bad of [
    { ...op, opId: `${op.opId as string}x` },
    { ...op, hlc: 'FEDCBA9876543210' },
    { ...op, v: 0 },
    { ...op, threadId: 'T-nope' },
    { ...op, message: { ...(op.message as Obj), key: 'k' } },
    { ...op, message: { ...(op.message as Obj), role: 'robot' } },
  ])
    assert.throws(() => parseOp(bad), ValidationError, JSON.stringify(bad));
});
