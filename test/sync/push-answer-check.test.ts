/**
 * The direct check of a push answer (`plainPushResponse`) stands in for the schema on every push a
 * device makes: it must never accept what the schema refuses, must give what the schema gives
 * when it accepts, and must accept the common answer (else it saves nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SkeinError } from '../../src/errors.js';
import { parsePushResponse, plainPushResponse } from '../../src/sync/protocol.js';

const ID = 'T-0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const rec = { noNullPrototype: true } as const;
const okThread = fc.record({ id: fc.constant(ID), status: fc.constant('ok'), v: fc.nat() }, rec);
const common = fc.record(
  { type: fc.constant('push:result'), protocol: fc.constant(1), threads: fc.array(okThread, { maxLength: 4 }), cursor: fc.nat() },
  { requiredKeys: ['type', 'protocol', 'threads'], ...rec },
);
const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, -1, 1.5, 2 ** 60, '', 'T-nope', ID, 'ok', 'conflict', 'rejected', 'push:result', 0, 1, 2, [], {}),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}}') as unknown),
);
const KEYS = ['type', 'protocol', 'threads', 'cursor', 'id', 'status', 'v', 'ops', 'code', 'message', '__proto__', 'extra'];
const mutated = fc
  .tuple(common, fc.array(fc.record({ where: fc.constantFrom('answer', 'thread'), key: fc.constantFrom(...KEYS), value: odd, remove: fc.boolean() }), { minLength: 1, maxLength: 2 }))
  .map(([r, changes]) => {
    const copy = structuredClone(r) as Record<string, unknown>;
    for (const c of changes) {
      const target = (c.where === 'answer' ? copy : (copy.threads as unknown[] | undefined)?.[0]) as Record<string, unknown> | undefined;
      if (!target || typeof target !== 'object') continue;
      if (c.remove) delete target[c.key];
      else Object.defineProperty(target, c.key, { value: c.value, writable: true, enumerable: true, configurable: true });
    }
    return copy;
  });

/** What the schema alone makes of an answer `v` (the direct check kept out by one more thread, not `ok`), or 'refused'. */
function schemaOf(v: { threads: unknown[] }): unknown {
  try {
    const r = parsePushResponse(structuredClone({ ...v, threads: [...v.threads, { id: ID, status: 'rejected', code: 'X', message: 'm' }] }));
    return { ...r, threads: r.threads.slice(0, -1) };
  } catch (err) {
    if (err instanceof SkeinError) return 'refused';
    throw err;
  }
}

test('the direct push-answer check accepts only answers the schema accepts, as the schema reads them, and the common ones', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(mutated, mutated, common, odd), (r) => {
      const plain = plainPushResponse(r);
      if (plain === undefined) return;
      accepted++;
      assert.deepEqual(plain, schemaOf(plain), JSON.stringify(r));
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 300, `the mutations leave some answers valid (${accepted})`);
  fc.assert(
    fc.property(common, (r) => {
      const wire = JSON.parse(JSON.stringify(r)) as unknown;
      assert.deepEqual(plainPushResponse(wire), parsePushResponse(wire));
    }),
    { numRuns: 1000 },
  );
});
