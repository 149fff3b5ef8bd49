/**
 * The op size check measures an op exactly only when a cheap bound says it might be too large:
 * the bound must never be below the real JSON size, and the limit must still fall exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_OP_BYTES, checkOpSize, jsonBytesBound } from '../../src/model/op-size.js';
import type { Op } from '../../src/model/types.js';
import { SkeinError, ErrorCode } from '../../src/errors.js';

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

test('the bound is never below the JSON size, whatever the text (escapes, surrogates, astral characters)', () => {
  const text = fc.string({ unit: fc.constantFrom('binary', 'grapheme', 'binary-ascii') as fc.Arbitrary<'binary'> });
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), text, fc.constantFrom(undefined, -0, -1.7976931348623157e308, 5e-324), fc.array(tie('v')), fc.dictionary(text, tie('v'))),
  })).v;
  fc.assert(
    fc.property(value, (v) => {
      if (JSON.stringify(v) === undefined) return;
      assert.ok(jsonBytesBound(v) >= bytes(v));
    }),
    { numRuns: 3000 },
  );
});

test('the limit falls exactly: an op of MAX_OP_BYTES is kept, one byte more is refused', () => {
  const op = (content: string) =>
    ({ opId: 'm1', threadId: 'T-01a22d26-25d2-7000-bfef-05abd64c8b98', v: 2, at: 1, clientId: 'c', hlc: '0000000000010000', type: 'user:message',
      message: { content, id: 'm1', role: 'user', timestamp: 1, key: '0000000000010000c' } }) as Op;
  const base = bytes(op(''));
  // Multi-byte characters, so that the bound is far above the size and the exact measure decides.
  const fill = (n: number) => 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
  assert.equal(bytes(op(fill(MAX_OP_BYTES - base))), MAX_OP_BYTES);
  assert.doesNotThrow(() => checkOpSize(op(fill(MAX_OP_BYTES - base))));
  assert.throws(
    () => checkOpSize(op(fill(MAX_OP_BYTES - base + 1))),
    (err: unknown) => err instanceof SkeinError && err.code === ErrorCode.PAYLOAD_TOO_LARGE && (err.details as { bytes: number }).bytes === MAX_OP_BYTES + 1,
  );
});
