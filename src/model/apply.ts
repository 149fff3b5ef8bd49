/**
 * Ops applied to whole in-memory threads: `applyOp`/`applyOps` fold complete ops (skipping those
 * a thread already holds) with `step`, and `applyDelta` completes a bare delta first. The parts
 * live beside it: `complete-op.ts` (delta -> op) and `step.ts` (op -> head and rows).
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from './ids.js';
import { isMessageOp } from './op-kinds.js';
import { HLC_ZERO, compareKeys } from './order-key.js';
import { callKeyIn } from './open-calls.js';
import { parseOp } from './schema.js';
import { completeOp } from './complete-op.js';
import { isHidden, step, type ThreadCore } from './step.js';
import type { Delta, Message, Op, Thread } from './types.js';

export { completeOp, createOp, type OpContext } from './complete-op.js';
export { compareStamps, isHidden, setVisibility, step, type Effect, type ThreadCore } from './step.js';

/** The state of a thread before its first op. */
export function emptyThread(id: ThreadID): Thread {
  return {
    id,
    v: 0,
    created: 0,
    messages: [],
    childThreadIDs: [],
    summaryThreadIDs: [],
    clock: { maxHlc: HLC_ZERO, openCalls: {}, stamps: {}, hidden: [] },
  };
}

/** Where a key goes in a key-ordered array: after every smaller key (usually the end). */
function slotOf(messages: readonly Message[], key: string): number {
  let lo = messages.length;
  while (lo > 0 && compareKeys(messages[lo - 1]!.key!, key) > 0) lo--;
  return lo;
}

/** Inserts a message into a key-ordered array (usually at the end), returning a new array. */
export function insertByKey(messages: readonly Message[], m: Message): Message[] {
  const out = messages.slice();
  out.splice(slotOf(out, m.key!), 0, m);
  return out;
}

/** True when the key-ordered array holds this message (found by binary search on its key). */
function holds(messages: readonly Message[], m: Message): boolean {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(messages[mid]!.key!, m.key!) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < messages.length && messages[i]!.key === m.key; i++) if (messages[i]!.id === m.id) return true;
  return false;
}

/** The scalar a last-writer-wins op writes, if any. */
function scalarOf(op: Op): string | undefined {
  switch (op.type) {
    case 'title':
      return 'title';
    case 'env:set':
      return 'env';
    case 'meta:set':
      return `meta.${op.key}`;
    case 'archive':
    case 'restore':
      return 'archived';
    case 'visibility:set':
      return 'visibility';
    default:
      return undefined;
  }
}

/** True when a message op with this message id is already part of the thread. */
function alreadyHas(thread: Thread, op: Op): boolean {
  if (isMessageOp(op))
    return holds(thread.messages, op.message);
  if (op.type === 'thread:truncate') return thread.clock.hidden.some((r) => r.opId === op.opId);
  // A scalar op is present when it is the last writer of its own scalar. (One op may be the last
  // writer of several scalars: a thread:create that set title, env and meta, which the codec
  // replays as one op per scalar under the create's opId; each must still be applied.)
  const name = scalarOf(op);
  if (name !== undefined) return thread.clock.stamps[name]?.opId === op.opId;
  return Object.values(thread.clock.stamps).some((s) => s.opId === op.opId);
}

/**
 * Applies a complete op to a whole thread, returning a new thread at `v + 1`. An op the thread
 * already holds (same message id, or same opId as a scalar's last writer) is not applied twice:
 * the thread is returned unchanged.
 */
export function applyOp(thread: Thread, op: Op): Thread {
  return applyOps(thread, [op]);
}

/**
 * Applies complete ops in order, copying the message array once (a batch costs one copy, not one
 * per op). Ops the thread already holds are skipped; with nothing applied the same thread returns.
 */
export function applyOps(thread: Thread, ops: readonly Op[]): Thread {
  const { messages: start, ...core0 } = thread;
  let core: ThreadCore = core0;
  let messages: Message[] | undefined;
  let applied = false;
  for (const op of ops) {
    if (op.threadId !== thread.id)
      throw new SkeinError(ErrorCode.VALIDATION, `op for ${op.threadId} applied to thread ${thread.id}`);
    if (alreadyHas({ ...core, messages: messages ?? start }, op)) continue;
    const { core: next, effect } = step(core, op);
    core = next;
    applied = true;
    if (effect.kind === 'insert' && !effect.hidden) {
      messages ??= start.slice();
      messages.splice(slotOf(messages, effect.message.key!), 0, effect.message);
    } else if (effect.kind === 'hide') messages = (messages ?? start).filter((m) => !isHidden(m.key!, [effect.range]));
  }
  return applied ? { ...core, messages: messages ?? start } : thread;
}

/** Options for `applyDelta`: who writes and when (defaults: `local`, now). */
export interface ApplyOptions {
  clientId?: string;
  now?: number;
}

/**
 * The seed's `applyDelta(thread, delta)`: takes a bare delta or a full op, fills what is missing
 * and returns a new thread at `v + 1`. Never mutates its input.
 */
export function applyDelta(thread: Thread, delta: Delta | Op, options: ApplyOptions = {}): Thread {
  // Anything but an object (a string, null) goes to parseDelta, which names it; `in` would throw.
  if (typeof delta === 'object' && delta !== null && 'opId' in delta) return applyOp(thread, parseOp(delta));
  const { messages, ...core } = thread;
  const op = completeOp(core, delta, {
    clientId: options.clientId ?? 'local',
    now: options.now ?? Date.now(),
    messageAt: (i) => messages[i],
    indexOf: (id) => {
      const i = messages.findIndex((m) => m.id === id);
      return i < 0 ? undefined : i;
    },
    callKey: (callId) => callKeyIn(messages, callId),
  });
  // A message delta that names an id the thread already shows is a retry of a write that landed.
  if ('message' in op && 'message' in (delta as Delta) && (delta as { message: { id?: string } }).message.id !== undefined) {
    const id = op.message.id;
    if (messages.some((m) => m.id === id)) return thread;
  }
  return applyOp(thread, op);
}

/** The thread that a list of ops folds to (the first op is usually `thread:create`). */
export function foldOps(id: ThreadID, ops: Iterable<Op>): Thread {
  return applyOps(emptyThread(id), [...ops]);
}

