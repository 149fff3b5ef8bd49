/**
 * Any JSON a caller may send, for round-trip property tests: `fc.jsonValue()`, plus objects whose
 * keys include the names that reach prototype machinery in careless code (`__proto__`,
 * `constructor`, `prototype`), made as own data properties the way `JSON.parse` makes them.
 * And the check that a store gives every such value back exactly, wherever it was put.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Delta, Store, Thread, ThreadID } from '../../src/index.js';

const RESERVED = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];
const key = fc.oneof(fc.constantFrom(...RESERVED), fc.string({ maxLength: 6 }));

/** A JSON value: fast-check's, or one built with reserved keys at any depth. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** A JSON object (env) with reserved keys among its keys. */
export const anyJsonObject = fc.dictionary(key, anyJson, { minKeys: 1, maxKeys: 4, noNullPrototype: true });

/** Meta: keys are non-empty names, and a null value means "remove the key", so values are not null. */
const metaKey = key.filter((k) => k !== '');
const metaValue = anyJson.filter((v) => v !== null);
const anyMeta = fc.dictionary(metaKey, metaValue, { minKeys: 1, maxKeys: 4, noNullPrototype: true });

/** What one property run writes: meta and env at creation, a meta:set, a tool call's input and its result's output. */
export interface JsonPayload {
  meta: Record<string, unknown>;
  env: Record<string, unknown>;
  metaKey: string;
  metaValue: unknown;
  input: unknown;
  output: unknown;
}

export const anyPayload: fc.Arbitrary<JsonPayload> = fc.record({
  meta: anyMeta,
  env: anyJsonObject,
  metaKey,
  metaValue,
  input: anyJson,
  output: anyJson,
});

/** JSON's own limits (-0 is written as 0): what any JSON store can give back. */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Writes the payload as a thread of `store`; returns its id. */
export async function writePayload(store: Store, p: JsonPayload): Promise<ThreadID> {
  const { cwd: _cwd, ...env } = p.env;
  const t = await store.createThread({ title: 'json', meta: p.meta, env });
  const deltas: Delta[] = [
    { type: 'meta:set', key: p.metaKey, value: p.metaValue },
    { type: 'assistant:message', message: { content: 'calling', toolCalls: [{ id: 'call-1', name: 'tool', input: p.input }] } },
    { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'call-1', output: p.output }] } },
  ];
  await store.append(t.id, deltas);
  return t.id;
}

/** Asserts that `thread` holds exactly what `p` wrote (as JSON gives it back). */
export function assertPayload(thread: Thread | null, p: JsonPayload, where: string): void {
  assert.ok(thread, `${where}: the thread exists`);
  const { cwd: _cwd, ...env } = p.env;
  const meta = { ...p.meta };
  Object.defineProperty(meta, p.metaKey, { value: p.metaValue, writable: true, enumerable: true, configurable: true });
  assert.deepStrictEqual(thread.meta, asJson(meta), `${where}: meta`);
  assert.equal(Object.getPrototypeOf(thread.meta), Object.prototype, `${where}: meta keeps its prototype`);
  assert.deepStrictEqual(thread.env, asJson(env), `${where}: env`);
  assert.deepStrictEqual(thread.messages[0]?.toolCalls?.[0]?.input, asJson(p.input), `${where}: tool input`);
  assert.deepStrictEqual(thread.messages[1]?.toolResults?.[0]?.output, asJson(p.output), `${where}: tool output`);
}
