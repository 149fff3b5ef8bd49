/**
 * The seed's delta codec: `compress(old, new)` gives the ops that take `old` to `new`, and
 * `decompress(thread, delta)` folds them. Stores answer the same question exactly from their op
 * log (`history`); this pure form works on two in-memory threads, rebuilding each op from the
 * stamps the thread keeps (message keys, scalar writers, hidden ranges).
 */
import { ValidationError } from '../errors.js';
import { applyOp } from './apply.js';
import { hasLink } from './links.js';
import { HLC_ZERO, keyClient, keyHlc, hlcMs, maxHlc, nextHlc } from './order-key.js';
import type { CompressedDelta, Op, OpHeader, Stamp, Thread } from './types.js';

/** The ops that take `oldThread` to `newThread` (same thread, `newThread` a descendant). */
export function compress(oldThread: Thread, newThread: Thread): CompressedDelta {
  if (oldThread.id !== newThread.id) throw new ValidationError('newThread.id', 'compress needs two versions of one thread');
  const id = newThread.id;
  const ops: Op[] = [];
  const header = (s: Stamp): OpHeader => ({ opId: s.opId, threadId: id, v: 0, at: hlcMs(s.hlc), clientId: s.clientId, hlc: s.hlc });

  if (oldThread.v === 0 && newThread.v > 0) {
    const fields = {
      ...(newThread.mainThreadID && { mainThreadID: newThread.mainThreadID }),
      ...(newThread.originThreadID && { originThreadID: newThread.originThreadID }),
      ...(newThread.handoffFrom && { handoffFrom: newThread.handoffFrom }),
      ...(newThread.forkedFrom && { forkedFrom: newThread.forkedFrom }),
      ...(newThread.forkedAt && { forkedAt: newThread.forkedAt }),
    };
    // The create op's stamp follows from `created` (see createOp), so the clock stays exact.
    const hlc = nextHlc(HLC_ZERO, newThread.created);
    ops.push({ opId: `${id}:create`, threadId: id, v: 0, at: newThread.created, clientId: 'codec', hlc, type: 'thread:create', created: newThread.created, fields });
  }
  const known = new Set(oldThread.messages.map((m) => m.id));
  for (const m of newThread.messages) {
    if (known.has(m.id)) continue;
    const key = m.key!;
    ops.push({ ...header({ opId: m.id, hlc: keyHlc(key), clientId: keyClient(key) }), type: `${m.role}:message`, message: m });
  }
  const hadRange = new Set(oldThread.clock.hidden.map((r) => r.opId));
  for (const r of newThread.clock.hidden) {
    if (hadRange.has(r.opId)) continue;
    const s = { opId: r.opId, hlc: keyHlc(r.toKey), clientId: keyClient(r.toKey) };
    ops.push({ ...header(s), type: 'thread:truncate', fromIndex: 0, fromMessageId: r.fromMessageId, fromKey: r.fromKey, toKey: r.toKey });
  }
  for (const [name, s] of Object.entries(newThread.clock.stamps)) {
    if (oldThread.clock.stamps[name]?.opId === s.opId) continue;
    const h = header(s);
    if (name === 'title') ops.push({ ...h, type: 'title', value: newThread.title ?? '' });
    else if (name === 'env') ops.push({ ...h, type: 'env:set', env: newThread.env ?? {} });
    else if (name === 'archived')
      ops.push(newThread.archived !== undefined ? { ...h, at: newThread.archived, type: 'archive' } : { ...h, type: 'restore' });
    else if (name === 'visibility') {
      const value = newThread.visibility ?? 'workspace';
      ops.push(value === 'public' && newThread.shareId !== undefined ? { ...h, type: 'visibility:set', value, shareId: newThread.shareId } : { ...h, type: 'visibility:set', value: value === 'public' ? 'workspace' : value });
    } else if (name.startsWith('meta.')) {
      const key = name.slice(5);
      const value = newThread.meta && Object.hasOwn(newThread.meta, key) ? newThread.meta[key] : null;
      ops.push({ ...h, type: 'meta:set', key, value });
    }
  }
  for (const [type, list, had] of [
    ['child:link', newThread.childThreadIDs, oldThread.childThreadIDs],
    ['summary:link', newThread.summaryThreadIDs, oldThread.summaryThreadIDs],
  ] as const) {
    for (const child of list) {
      if (had.includes(child)) continue;
      // A link's own stamp is not kept in the thread; the newest stamp keeps clock.maxHlc exact
      // when the link was the latest op.
      ops.push({ opId: `${type}:${child}`, threadId: id, v: 0, at: newThread.created, clientId: 'codec', hlc: newThread.clock.maxHlc, type, linked: child });
    }
  }
  for (const l of newThread.links ?? []) {
    if (hasLink(oldThread.links, l)) continue;
    const h = { opId: `${l.rel}:link:${l.threadId}:${l.messageId ?? ''}`, threadId: id, v: 0, at: newThread.created, clientId: 'codec', hlc: newThread.clock.maxHlc };
    if (l.rel === 'handoff') ops.push({ ...h, type: 'handoff:link', linked: l.threadId });
    else ops.push({ ...h, type: l.rel === 'fork' ? 'fork:link' : 'mention:link', linked: l.threadId, messageId: l.messageId ?? '' });
  }
  ops.forEach((op, i) => (op.v = oldThread.v + i + 1));
  return { id, fromVersion: oldThread.v, toVersion: newThread.v, ops, maxHlc: newThread.clock.maxHlc };
}

/** Applies a compressed delta to the thread it was made from. */
export function decompress(thread: Thread, delta: CompressedDelta): Thread {
  if (delta.id !== thread.id) throw new ValidationError('delta.id', `delta for ${delta.id} applied to ${thread.id}`);
  if (delta.fromVersion !== thread.v)
    throw new ValidationError('delta.fromVersion', `delta starts at version ${delta.fromVersion}, thread is at ${thread.v}`);
  let t = thread;
  for (const op of delta.ops) t = applyOp(t, op);
  if (delta.maxHlc === undefined) return { ...t, v: delta.toVersion };
  return { ...t, v: delta.toVersion, clock: { ...t.clock, maxHlc: maxHlc(t.clock.maxHlc, delta.maxHlc) } };
}
