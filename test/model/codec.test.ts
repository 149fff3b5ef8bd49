import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { compress, decompress, emptyThread, isThreadId, merge, newThreadId, parseOp, uuidv7, type Thread } from '../../src/model/index.js';
import { THREAD_ID, builtThreadArb, scenarioArb, type Built } from '../helpers/model-arbitraries.js';
import { fcRuns } from '../helpers/fc-runs.js';

/** A built thread and two of its versions, old <= new (old may be the empty thread, v 0). */
const versions = builtThreadArb({ maxSteps: 14, mode: 'ops' }).chain((b) =>
  fc
    .tuple(fc.nat({ max: b.thread.v }), fc.nat({ max: b.thread.v }))
    .map(([i, j]) => ({ b, from: Math.min(i, j), to: Math.max(i, j) })),
);

/** True when every message written between the two versions is still visible in the newer one. */
function noNewMessageHidden(b: Built, from: number, to: number): boolean {
  const visible = new Set(b.history[to]!.messages.map((m) => m.id));
  return b.ops.slice(from, to).every((op) => !('message' in op) || visible.has(op.message.id));
}

function assertSameThread(out: Thread, want: Thread): void {
  assert.deepStrictEqual(out.messages, want.messages);
  for (const k of ['id', 'v', 'created', 'title', 'env', 'meta', 'archived', 'mainThreadID', 'originThreadID', 'childThreadIDs', 'summaryThreadIDs', 'links'] as const)
    assert.deepStrictEqual(out[k], want[k], k);
  assert.deepStrictEqual(out.clock.stamps, want.clock.stamps);
  assert.deepStrictEqual(out.clock.hidden, want.clock.hidden);
  assert.equal(out.clock.maxHlc, want.clock.maxHlc);
}

describe('delta codec', () => {
  test('decompress(old, compress(old, new)) rebuilds new', () => {
    fc.assert(
      fc.property(versions, ({ b, from, to }) => {
        const oldT = b.history[from]!;
        const newT = b.history[to]!;
        const d = compress(oldT, newT);
        assert.equal(d.id, THREAD_ID);
        assert.equal(d.fromVersion, oldT.v);
        assert.equal(d.toVersion, newT.v);
        const out = decompress(oldT, d);
        assertSameThread(out, newT);
        // The turn and the open calls also follow from the messages that a truncate hid, which
        // the codec cannot see; when no message written in between was hidden, they match too.
        if (noNewMessageHidden(b, from, to)) {
          assert.equal(out.clock.turnKey, newT.clock.turnKey);
          assert.deepStrictEqual(out.clock.openCalls, newT.clock.openCalls);
        }
      }),
      { numRuns: fcRuns(500) },
    );
  });

  // A merged thread is a later version of its base too, but no single history: ops that left no
  // trace in it (a message truncated, a scalar op overridden) can carry the highest stamp, which
  // the codec then cannot restore. Everything a reader sees still matches.
  test('a merge result compresses against its base', () => {
    fc.assert(
      fc.property(scenarioArb({ baseSteps: 5, sideSteps: 5 }), (s) => {
        const B = s.base.thread;
        const M = merge(B, s.local.thread, s.remote.thread);
        const out = decompress(B, compress(B, M));
        assert.deepStrictEqual(out.messages, M.messages);
        for (const k of ['v', 'title', 'env', 'meta', 'archived', 'childThreadIDs', 'summaryThreadIDs', 'links'] as const) assert.deepStrictEqual(out[k], M[k], k);
        assert.deepStrictEqual(out.clock.stamps, M.clock.stamps);
        const byId = (t: Thread) => [...t.clock.hidden].sort((a, b) => (a.opId < b.opId ? -1 : 1));
        assert.deepStrictEqual(byId(out), byId(M));
        assert.ok(out.clock.maxHlc <= M.clock.maxHlc);
      }),
      { numRuns: fcRuns(300) },
    );
  });

  test('the compressed delta survives JSON and its ops are valid ops', () => {
    fc.assert(
      fc.property(versions, ({ b, from, to }) => {
        const d = compress(b.history[from]!, b.history[to]!);
        const wire = JSON.parse(JSON.stringify(d)) as typeof d;
        wire.ops.forEach((op, i) => {
          assert.deepStrictEqual(parseOp(op), op);
          assert.equal(op.v, from + i + 1);
        });
        assert.deepStrictEqual(decompress(b.history[from]!, wire), decompress(b.history[from]!, d));
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('a version compresses to nothing against itself', () => {
    fc.assert(
      fc.property(builtThreadArb({ maxSteps: 10 }), (b) => {
        const d = compress(b.thread, b.thread);
        assert.deepStrictEqual(d.ops, []);
        assert.deepStrictEqual(decompress(b.thread, d), b.thread);
      }),
      { numRuns: fcRuns(100) },
    );
  });

  test('refuses another thread or a delta from another version', () => {
    const b = fc.sample(builtThreadArb({ minSteps: 2, maxSteps: 4 }), 1)[0]!;
    const other = emptyThread('T-01890000-0000-7000-8000-0000000000ff');
    assert.throws(() => compress(b.thread, other), { code: 'VALIDATION' });
    const d = compress(b.history[1]!, b.thread);
    assert.throws(() => decompress(b.history[0]!, d), { code: 'VALIDATION' });
    assert.throws(() => decompress(other, d), { code: 'VALIDATION' });
  });
});

describe('ids', () => {
  const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test('uuidv7 ids are unique, well formed, and sort in creation order, whatever the clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2000, max: 2000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 2 ** 40 }), (steps, start) => {
        let now = Date.now() + start;
        const made: string[] = [];
        for (const dt of steps) {
          now += dt;
          made.push(uuidv7(now));
        }
        for (const id of made) assert.match(id, UUID7);
        assert.equal(new Set(made).size, made.length);
        assert.deepStrictEqual([...made].sort(), made);
      }),
      { numRuns: fcRuns(200) },
    );
  });

  test('a uuidv7 carries its millisecond when the clock moves forward', () => {
    const now = Date.now() + 2 ** 41;
    const id = uuidv7(now);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), now);
  });

  test('more than 4096 ids in one millisecond stay ordered', () => {
    const now = Date.now() + 2 ** 42;
    const made = Array.from({ length: 10_000 }, () => uuidv7(now));
    assert.equal(new Set(made).size, made.length);
    assert.deepStrictEqual([...made].sort(), made);
  });

  test('isThreadId accepts T- + uuidv7 and rejects other shapes', () => {
    for (let i = 0; i < 50; i++) assert.equal(isThreadId(newThreadId()), true);
    assert.equal(isThreadId(`T-${uuidv7()}`), true);
    assert.equal(isThreadId(THREAD_ID), true);
    const bad: unknown[] = [
      uuidv7(),
      `t-${uuidv7()}`,
      `T-${uuidv7().toUpperCase()}`,
      `T-${uuidv7().replace(/-/g, '')}`,
      `T-${uuidv7()}x`,
      ` T-${uuidv7()}`,
      `T-${uuidv7().slice(0, -1)}`,
      `T-${uuidv7()}\n`,
      'T-',
      '',
      null,
      undefined,
      42,
      { id: `T-${uuidv7()}` },
    ];
    for (const s of bad) assert.equal(isThreadId(s), false, JSON.stringify(s));
  });

  test('isThreadId rejects random strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        fc.pre(!/^T-[0-9a-f-]{36}$/.test(s));
        assert.equal(isThreadId(s), false);
      }),
    );
  });

  // The shape check does not look at the version nibble: `T-` + a UUIDv4 passes. Recorded here
  // so that a change to that is a decision, not an accident.
  test('isThreadId checks the shape only (a v4 UUID passes)', () => {
    assert.equal(isThreadId(`T-${randomUUID()}`), true);
  });
});
