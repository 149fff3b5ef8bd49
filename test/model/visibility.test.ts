import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, compress, decompress, emptyThread, foldOps, merge, parseOp, type Op, type Thread } from '../../src/model/index.js';
import { ValidationError } from '../../src/errors.js';

const ID = 'T-0190f5a0-0000-7000-8000-000000000001' as const;

function created(): Thread {
  return applyDelta(applyDelta(emptyThread(ID), { type: 'title', value: 't' }, { now: 1000 }), { type: 'system:message', message: { content: 'x' } }, { now: 1001 });
}

test('visibility:set is a last-writer-wins scalar; public draws a fresh share id each time', () => {
  const t0 = created();
  assert.equal(t0.visibility, undefined, 'absent means workspace');
  const pub = applyDelta(t0, { type: 'visibility:set', value: 'public' }, { now: 2000 });
  assert.equal(pub.visibility, 'public');
  assert.match(pub.shareId!, /^[A-Za-z0-9_-]{24}$/);
  assert.ok(!pub.shareId!.includes(ID.slice(2, 10)));
  const priv = applyDelta(pub, { type: 'visibility:set', value: 'private' }, { now: 3000 });
  assert.equal(priv.visibility, 'private');
  assert.equal(priv.shareId, undefined, 'leaving public drops the link');
  const again = applyDelta(priv, { type: 'visibility:set', value: 'public' }, { now: 4000 });
  assert.notEqual(again.shareId, pub.shareId, 'an old link never comes back');
  const ws = applyDelta(again, { type: 'visibility:set', value: 'workspace' }, { now: 5000 });
  assert.equal(ws.visibility, undefined);
  assert.equal(ws.shareId, undefined);
});

test('bad visibility values are VALIDATION errors and change nothing', () => {
  const t0 = created();
  assert.throws(() => applyDelta(t0, { type: 'visibility:set', value: 'everyone' } as never), ValidationError);
  assert.throws(() => applyDelta(t0, { type: 'visibility:set' } as never), ValidationError);
  assert.equal(t0.visibility, undefined);
  const base = { opId: 'o1', threadId: ID, v: 3, at: 1, clientId: 'c', hlc: '0000000000000001' };
  assert.throws(() => parseOp({ ...base, type: 'visibility:set', value: 'public' }), ValidationError, 'public needs a shareId');
  assert.throws(() => parseOp({ ...base, type: 'visibility:set', value: 'private', shareId: 'A'.repeat(24) }), ValidationError);
  assert.doesNotThrow(() => parseOp({ ...base, type: 'visibility:set', value: 'public', shareId: 'A'.repeat(24) }));
});

test('merge keeps the later visibility write and its share id; codec round-trips it', () => {
  const base = created();
  const local = applyDelta(base, { type: 'visibility:set', value: 'public' }, { now: 2000, clientId: 'L' });
  const remote = applyDelta(base, { type: 'visibility:set', value: 'private' }, { now: 3000, clientId: 'R' });
  const m = merge(base, local, remote);
  assert.equal(m.visibility, 'private');
  assert.equal(m.shareId, undefined);
  const m2 = merge(base, remote, applyDelta(local, { type: 'visibility:set', value: 'public' }, { now: 4000, clientId: 'L' }));
  assert.equal(m2.visibility, 'public');
  assert.ok(m2.shareId && m2.shareId !== local.shareId);
  const d = compress(base, local);
  assert.deepEqual(decompress(base, d), local);
  const ops = d.ops as Op[];
  assert.equal(foldOps(ID, [...compress(emptyThread(ID), local).ops]).shareId, local.shareId);
  assert.ok(ops.some((o) => o.type === 'visibility:set'));
});
