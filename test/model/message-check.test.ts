/**
 * The direct check of message deltas (`isPlainMessageDelta`) stands in for the schema on the
 * write path: it must never accept what the schema refuses, and it must accept the common
 * messages (else it saves nothing). Checked on generated messages and on mutations of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPlainMessageDelta } from '../../src/model/message-check.js';
import { parseDelta, parseDeltaBySchema } from '../../src/model/schema.js';
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
