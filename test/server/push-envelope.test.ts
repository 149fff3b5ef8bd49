/**
 * The direct check of a push request's envelope (`plainPushRequest`) stands in for the schema
 * (`parsePushRequest`) on every push: it must never accept what the schema refuses, and it must
 * accept the requests clients send (else it saves nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { plainPushRequest } from '../../src/server/push-route.js';
import { parsePushRequest } from '../../src/sync/protocol.js';
import { ValidationError } from '../../src/errors.js';

const schemaAccepts = (v: unknown): boolean => {
  try {
    parsePushRequest(v);
    return true;
  } catch (err) {
    if (err instanceof ValidationError) return false;
    throw err;
  }
};

const ID = 'T-0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const rec = { noNullPrototype: true } as const;
const common = fc.record(
  {
    type: fc.constant('push'),
    protocol: fc.constant(1),
    clientId: fc.string({ minLength: 1, maxLength: 64 }),
    threads: fc.array(fc.record({ id: fc.constant(ID), baseVersion: fc.nat(), ops: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) }, rec), { maxLength: 4 }),
  },
  { requiredKeys: ['clientId', 'threads'], ...rec },
);
const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, -1, 1.5, 2 ** 60, '', 'x'.repeat(65), 'T-nope', ID, 'push', 'pull', 0, 1, 2, [], {}, new Array(51).fill({ id: ID, baseVersion: 0, ops: [] })),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}}') as unknown),
);
const KEYS = ['type', 'protocol', 'clientId', 'threads', 'id', 'baseVersion', 'ops', '__proto__', 'extra'];
const mutated = fc
  .tuple(common, fc.array(fc.record({ where: fc.constantFrom('request', 'thread'), key: fc.constantFrom(...KEYS), value: odd, remove: fc.boolean() }), { minLength: 1, maxLength: 2 }))
  .map(([r, changes]) => {
    const copy = structuredClone(r) as Record<string, unknown>;
    for (const c of changes) {
      const target = (c.where === 'request' ? copy : (copy.threads as unknown[] | undefined)?.[0]) as Record<string, unknown> | undefined;
      if (!target || typeof target !== 'object') continue;
      if (c.remove) delete target[c.key];
      else Object.defineProperty(target, c.key, { value: c.value, writable: true, enumerable: true, configurable: true });
    }
    return copy;
  });

test('the direct envelope check accepts only requests the schema accepts, and the common ones', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(mutated, mutated, odd), (r) => {
      if (plainPushRequest(r) === undefined) return;
      accepted++;
      assert.equal(schemaAccepts(r), true, JSON.stringify(r));
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 300, `the mutations leave some requests valid (${accepted})`);
  fc.assert(
    fc.property(common, (r) => {
      // As it arrives: parsed from its JSON (which has no -0, no undefined).
      const wire = JSON.parse(JSON.stringify(r)) as unknown;
      assert.deepEqual(plainPushRequest(wire), parsePushRequest(wire));
    }),
    { numRuns: 1000 },
  );
});
