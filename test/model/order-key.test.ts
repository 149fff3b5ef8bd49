import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcRuns } from '../helpers/fc-runs.js';
import { CLIENT_ID_RE, HLC_ZERO, KEY_SEP, compareKeys, hlcMs, isTopLevel, keyClient, keyHlc, makeKey, maxHlc, nextHlc, type Hlc } from '../../src/model/index.js';

const HLC_RE = /^[0-9a-f]{16}$/;
const MAX_MS = 2 ** 47; // year ~6429: well inside the 12 hex digits of a stamp

const stamp = (ms: number, ctr: number): Hlc => ms.toString(16).padStart(12, '0') + ctr.toString(16).padStart(4, '0');

/** Any valid stamp, often at the top of its counter, often one of a few (so that ties are common). */
const hlcArb: fc.Arbitrary<Hlc> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: MAX_MS }), fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0xfffe, 0xffff))).map(([ms, ctr]) => stamp(ms, ctr)),
  fc.constantFrom(stamp(0, 0), stamp(1_700_000_000_000, 0), stamp(1_700_000_000_000, 1), stamp(1_700_000_000_001, 0)),
);

/** Client ids over a small alphabet holding the extremes, so that prefixes and ties are common. */
const clientArb = fc.string({ unit: fc.constantFrom('-', '.', '0', ':', 'A', '_', 'a', 'z'), minLength: 1, maxLength: 4 });

const segArb = fc.tuple(hlcArb, clientArb);

/** A key of 1 to 4 segments. */
const keyArb = fc.array(segArb, { minLength: 1, maxLength: 4 }).map((segs) => segs.reduce<string | undefined>((parent, [h, c]) => makeKey(parent, h, c), undefined)!);

function compareSegs([h0, c0]: [Hlc, string], [h1, c1]: [Hlc, string]): number {
  return h0 !== h1 ? (h0 < h1 ? -1 : 1) : c0 !== c1 ? (c0 < c1 ? -1 : 1) : 0;
}

describe('hybrid logical clock', () => {
  test('nextHlc is strictly above the last stamp, whatever the wall clock says', () => {
    fc.assert(
      fc.property(hlcArb, fc.oneof(fc.integer({ min: -1000, max: MAX_MS }), fc.double({ min: 0, max: MAX_MS, noNaN: true })), (last, now) => {
        const next = nextHlc(last, now);
        assert.match(next, HLC_RE);
        assert.ok(next > last, `${next} > ${last}`);
        if (Math.floor(now) > hlcMs(last)) assert.equal(hlcMs(next), Math.floor(now), 'physical time when it is ahead');
        else assert.ok(hlcMs(next) - hlcMs(last) <= 1, 'a clock behind moves the stamp by at most the counter overflow');
      }),
      { numRuns: fcRuns(2000) },
    );
  });

  test('a sequence of stamps is strictly increasing when the clock stands still, goes back, or the counter overflows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_MS }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: -10_000, max: -1 }), fc.integer({ min: 1, max: 10_000 })), { maxLength: 100 }),
        (start, steps) => {
          let now = start;
          let last = HLC_ZERO;
          for (const dt of steps) {
            now += dt;
            const next = nextHlc(last, now);
            assert.ok(next > last);
            last = next;
          }
        },
      ),
      { numRuns: fcRuns(300) },
    );
  });

  test('the counter overflows into the next millisecond', () => {
    const ms = 1_700_000_000_000;
    const full = ms.toString(16).padStart(12, '0') + 'ffff';
    const next = nextHlc(full, ms);
    assert.equal(hlcMs(next), ms + 1);
    assert.equal(next.slice(12), '0000');
    assert.ok(next > full);
    // 70 000 stamps in one millisecond: all distinct and ordered.
    let last = HLC_ZERO;
    const seen = new Set<string>();
    for (let i = 0; i < 70_000; i++) {
      const n = nextHlc(last, ms);
      assert.ok(n > last);
      seen.add(n);
      last = n;
    }
    assert.equal(seen.size, 70_000);
    assert.equal(hlcMs(last), ms + 1);
  });

  test('maxHlc picks the larger stamp', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        const m = maxHlc(a, b);
        assert.ok(m === a || m === b);
        assert.ok(m >= a && m >= b);
        assert.equal(maxHlc(b, a), m);
      }),
    );
  });
});

describe('order keys', () => {
  test('the parts of a key come back out', () => {
    fc.assert(
      fc.property(fc.option(keyArb, { nil: undefined }), hlcArb, clientArb, (parent, h, c) => {
        const k = makeKey(parent, h, c);
        assert.equal(keyHlc(k), h);
        assert.equal(keyClient(k), c);
        assert.equal(isTopLevel(k), parent === undefined);
        if (parent !== undefined) assert.equal(k.slice(0, parent.length + 1), parent + KEY_SEP);
      }),
    );
  });

  test('siblings sort by (hlc, clientId), as strings', () => {
    fc.assert(
      fc.property(fc.option(keyArb, { nil: undefined }), segArb, segArb, (parent, a, b) => {
        const ka = makeKey(parent, ...a);
        const kb = makeKey(parent, ...b);
        assert.equal(Math.sign(compareKeys(ka, kb)), compareSegs(a, b));
      }),
      { numRuns: fcRuns(1000) },
    );
  });

  test('a key\'s whole subtree sorts after it and before its next sibling', () => {
    fc.assert(
      fc.property(
        fc.option(keyArb, { nil: undefined }),
        segArb,
        segArb,
        fc.array(segArb, { minLength: 1, maxLength: 3 }),
        fc.array(segArb, { maxLength: 3 }),
        (parent, a, b, below, belowSibling) => {
          fc.pre(compareSegs(a, b) < 0);
          const node = makeKey(parent, ...a);
          const sibling = makeKey(parent, ...b);
          const descendant = below.reduce((k, [h, c]) => makeKey(k, h, c), node);
          const siblingDescendant = belowSibling.reduce((k, [h, c]) => makeKey(k, h, c), sibling);
          assert.ok(compareKeys(node, descendant) < 0, 'a descendant sorts after its ancestor');
          assert.ok(compareKeys(descendant, sibling) < 0, 'and before the next sibling');
          assert.ok(compareKeys(descendant, siblingDescendant) < 0, 'and before anything under the next sibling');
          if (parent !== undefined) assert.ok(compareKeys(parent, descendant) < 0);
        },
      ),
      { numRuns: fcRuns(1000) },
    );
  });

  test('sorting keys as strings gives a pre-order walk of the tree', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 30 }), (keys) => {
        // Close the set under prefixes, so that it is a tree.
        const all = new Set<string>();
        for (const k of keys) {
          const segs = k.split(KEY_SEP);
          for (let i = 1; i <= segs.length; i++) all.add(segs.slice(0, i).join(KEY_SEP));
        }
        const sorted = [...all].sort(compareKeys);
        // Build the expected pre-order walk from the segments alone.
        const children = new Map<string, string[]>();
        for (const k of all) {
          const i = k.lastIndexOf(KEY_SEP);
          const p = i < 0 ? '' : k.slice(0, i);
          children.set(p, [...(children.get(p) ?? []), k]);
        }
        const walk: string[] = [];
        const visit = (p: string) => {
          const kids = (children.get(p) ?? []).sort((x, y) => compareSegs([keyHlc(x), keyClient(x)], [keyHlc(y), keyClient(y)]));
          for (const k of kids) {
            walk.push(k);
            visit(k);
          }
        };
        visit('');
        assert.deepStrictEqual(sorted, walk);
      }),
      { numRuns: fcRuns(500) },
    );
  });

  test('the separator sorts below every client id character', () => {
    for (let c = 0x20; c < 0x7f; c++) {
      const ch = String.fromCharCode(c);
      if (CLIENT_ID_RE.test(ch)) assert.ok(KEY_SEP < ch, `'${KEY_SEP}' < '${ch}'`);
    }
    assert.ok(!CLIENT_ID_RE.test(KEY_SEP));
    assert.ok(!CLIENT_ID_RE.test(''));
    assert.ok(!CLIENT_ID_RE.test('a'.repeat(65)));
  });
});
