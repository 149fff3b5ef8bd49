/**
 * The only place where an op changes a thread. `completeOp` turns a caller's delta into a stamped
 * op (ids, timestamps, order key); `step` folds one op into a thread's head and says what happens
 * to the message rows; `applyOp`/`applyDelta` do the same on a whole in-memory thread. Stores,
 * the writer, sync, merge and replay all call these, so every replica folds the same way.
 */
import { randomBytes } from 'node:crypto';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';
import { uuidv7, type ThreadID } from './ids.js';
import { isMessageOp } from './op-kinds.js';
import { checkOpSize } from './op-size.js';
import { cloneJson } from './json-clone.js';
import { addId, addLink } from './links.js';
import { countLink, type StoredLink } from './bounded-links.js';
import { keptMeta, type StoredMeta } from './bounded-meta.js';
import { HLC_ZERO, compareKeys, isTopLevel, makeKey, maxHlc, nextHlc } from './order-key.js';
import { boundCalls, callKeyIn, nextOpenCalls } from './open-calls.js';
import { parseDelta, parseOp } from './schema.js';
import type { CreateFields, Delta, HiddenRange, Message, Op, Role, Stamp, Thread, ThreadClock, Visibility } from './types.js';

/** A thread without its messages, as `step` sees it. */
export type ThreadCore = Omit<Thread, 'messages'>;

/** What an op does to the message rows of a thread. */
export type Effect =
  | { kind: 'none' }
  | { kind: 'insert'; message: Message; hidden: boolean }
  | { kind: 'hide'; range: HiddenRange }
  /** A new link, or a meta key's new value and writer: a store keeps them beside the head (bounded-links.ts, bounded-meta.ts). */
  | { kind: 'link'; link: StoredLink }
  | { kind: 'meta'; meta: StoredMeta };

/** What `completeOp` needs to know beyond the thread's head. */
export interface OpContext {
  clientId: string;
  now: number;
  /** The visible message at an index (oldest first), for `thread:truncate { fromIndex }`. */
  messageAt(index: number): Message | undefined;
  /** The visible index of a message id, for `thread:truncate { fromMessageId }`. */
  indexOf(messageId: string): number | undefined;
  /**
   * The key of the message that made a tool call, for a result whose call the head no longer
   * remembers (open-calls.ts): a store looks it up in its index of calls. Without it, such a
   * result is keyed in the open turn.
   */
  callKey?(callId: string): string | undefined;
}

const ROLE_OF: Record<string, Role> = { 'user:message': 'user', 'assistant:message': 'assistant', 'system:message': 'system' };

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

/** True when `key` falls inside one of the hidden ranges. */
export function isHidden(key: string, hidden: readonly HiddenRange[]): boolean {
  for (const r of hidden) if (key >= r.fromKey && key < r.toKey) return true;
  return false;
}

/** Orders two stamps: the later write is the larger. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return compareKeys(a.hlc, b.hlc) || compareKeys(a.clientId, b.clientId) || compareKeys(a.opId, b.opId);
}

/**
 * Turns a delta into a complete op at version `core.v + 1`: validates it, stamps it with the
 * thread's hybrid logical clock, fills the message's id, timestamp and role, and gives the message
 * its order key (a child of the open turn, or of the message whose tool calls it answers).
 */
export function completeOp(core: ThreadCore, input: Delta, ctx: OpContext): Op {
  const delta = parseDelta(input);
  const hlc = nextHlc(core.clock.maxHlc, ctx.now);
  const header = { opId: uuidv7(ctx.now), threadId: core.id, v: core.v + 1, at: ctx.now, clientId: ctx.clientId, hlc };
  switch (delta.type) {
    case 'user:message':
    case 'assistant:message':
    case 'system:message': {
      const role = ROLE_OF[delta.type]!;
      // A copy: the stored message must not share arrays or objects with the caller's delta.
      const { id, timestamp, ...rest } = cloneJson(delta.message);
      const { openCalls, turnKey, hidden } = core.clock;
      // A parent is usable only when the new key under it is outside every hidden range: after a
      // truncate inside a turn, the range [fromKey, toKey) also covers the turn's later children,
      // so a reply keyed there would be hidden as it is written. (A hidden parent's children are
      // hidden too, so this also refuses hidden parents.)
      const visible = (k: string | undefined) =>
        k !== undefined && !isHidden(makeKey(k, hlc, ctx.clientId), hidden) ? k : undefined;
      const callKey = (id: string) => visible(Object.hasOwn(openCalls, id) ? openCalls[id] : ctx.callKey?.(id));
      const answered = rest.toolResults?.find((r) => callKey(r.toolCallId) !== undefined);
      let parent: string | undefined;
      if (answered) parent = callKey(answered.toolCallId);
      else if (role !== 'user' || rest.toolResults?.length) parent = visible(turnKey);
      const message: Message = {
        ...rest,
        id: id ?? uuidv7(ctx.now),
        role,
        timestamp: timestamp ?? ctx.now,
        key: makeKey(parent, hlc, ctx.clientId),
      };
      return checkOpSize({ ...header, opId: message.id, type: delta.type, message });
    }
    case 'thread:truncate': {
      let index: number | undefined;
      if (delta.fromMessageId !== undefined) {
        index = ctx.indexOf(delta.fromMessageId);
        if (index === undefined)
          throw new ValidationError('delta.fromMessageId', `no visible message ${delta.fromMessageId}`);
      } else {
        index = delta.fromIndex!;
      }
      const first = ctx.messageAt(index);
      if (!first?.key) throw new ValidationError('delta.fromIndex', `no visible message at index ${index}`);
      const toKey = makeKey(undefined, hlc, ctx.clientId);
      return { ...header, type: 'thread:truncate', fromIndex: index, fromMessageId: first.id, fromKey: first.key, toKey };
    }
    case 'title':
      return { ...header, type: 'title', value: delta.value };
    case 'meta:set':
      return checkOpSize({ ...header, type: 'meta:set', key: delta.key, value: delta.value });
    case 'env:set':
      return checkOpSize({ ...header, type: 'env:set', env: delta.env });
    case 'child:link':
    case 'summary:link':
      return { ...header, type: delta.type, linked: delta.threadId };
    case 'archive':
    case 'restore':
      return { ...header, type: delta.type };
    case 'handoff:link':
      return { ...header, type: 'handoff:link', linked: delta.threadId };
    case 'fork:link':
    case 'mention:link':
      return { ...header, type: delta.type, linked: delta.threadId, messageId: delta.messageId };
    case 'visibility:set':
      // A fresh random link each time a thread becomes public: an old link never comes back.
      return delta.value === 'public'
        ? { ...header, type: 'visibility:set', value: 'public', shareId: randomBytes(18).toString('base64url') }
        : { ...header, type: 'visibility:set', value: delta.value };
  }
}

function stampOf(op: Op): Stamp {
  return { hlc: op.hlc, clientId: op.clientId, opId: op.opId };
}

/** Sets a last-writer-wins scalar when `op` is later than its current writer. */
function wins(clock: ThreadClock, name: string, op: Op): boolean {
  const cur = clock.stamps[name];
  const next = stampOf(op);
  if (cur && compareStamps(cur, next) >= 0) return false;
  clock.stamps = { ...clock.stamps, [name]: next };
  return true;
}

function setMeta(core: ThreadCore, key: string, value: unknown): void {
  const meta = { ...core.meta };
  if (value === null) delete meta[key];
  // Defined, not assigned: a key such as `__proto__` is a caller's data, never the prototype.
  else Object.defineProperty(meta, key, { value, writable: true, enumerable: true, configurable: true });
  if (Object.keys(meta).length > 0) core.meta = meta;
  else delete core.meta;
}

/** Sets a thread's visibility (absent means `workspace`) and its share link id (only while public). */
export function setVisibility(core: { visibility?: Visibility; shareId?: string }, value: Visibility, shareId: string | undefined): void {
  if (value === 'workspace') delete core.visibility;
  else core.visibility = value;
  if (value === 'public' && shareId !== undefined) core.shareId = shareId;
  else delete core.shareId;
}

/** The effect of a link op that added a link (a list a stored head cut counts it). */
const linked = (clock: ThreadClock, op: Op): Effect => ({ kind: 'link', link: countLink(clock, op) });

/**
 * Folds one op into a thread's core and returns the new core (the input is not changed) and the
 * op's effect on the message rows. The new core is at `core.v + 1`.
 */
export function step(core: ThreadCore, op: Op): { core: ThreadCore; effect: Effect } {
  const next: ThreadCore = { ...core, v: core.v + 1, clock: { ...core.clock, maxHlc: maxHlc(core.clock.maxHlc, op.hlc) } };
  const clock = next.clock;
  let effect: Effect = { kind: 'none' };
  switch (op.type) {
    case 'thread:create': {
      next.created = op.created;
      const f = op.fields;
      if (f.mainThreadID) next.mainThreadID = f.mainThreadID;
      if (f.originThreadID) next.originThreadID = f.originThreadID;
      if (f.handoffFrom) next.handoffFrom = f.handoffFrom;
      if (f.forkedFrom) next.forkedFrom = f.forkedFrom;
      if (f.forkedAt) next.forkedAt = f.forkedAt;
      if (f.title !== undefined && wins(clock, 'title', op)) next.title = f.title;
      if (f.env !== undefined && wins(clock, 'env', op)) next.env = f.env;
      for (const [k, val] of Object.entries(f.meta ?? {})) if (wins(clock, `meta.${k}`, op)) setMeta(next, k, val);
      break;
    }
    case 'user:message':
    case 'assistant:message':
    case 'system:message': {
      const m = op.message;
      const key = m.key!;
      // turnKey and openCalls depend only on the set of message ops (in any causal order), never
      // on truncation, so that a merge can compute them from its two sides. A new turn closes
      // the calls of earlier ones (open-calls.ts): the head stays bounded.
      const opens = m.role === 'user' && isTopLevel(key) && !m.toolResults?.length && (!clock.turnKey || key > clock.turnKey);
      if (opens) clock.turnKey = key;
      if (m.toolCalls?.length || m.toolResults?.length)
        clock.openCalls = nextOpenCalls(clock.openCalls, clock.turnKey, key, m.toolCalls ?? [], m.toolResults ?? []);
      else if (opens && Object.keys(clock.openCalls).length > 0) clock.openCalls = boundCalls(clock.openCalls, key);
      effect = { kind: 'insert', message: m, hidden: isHidden(key, clock.hidden) };
      break;
    }
    case 'thread:truncate': {
      const range: HiddenRange = { fromKey: op.fromKey, toKey: op.toKey, fromMessageId: op.fromMessageId, opId: op.opId };
      if (clock.hidden.some((r) => r.opId === op.opId)) break;
      clock.hidden = [...clock.hidden, range];
      effect = { kind: 'hide', range };
      break;
    }
    case 'title':
      if (wins(clock, 'title', op)) next.title = op.value;
      break;
    case 'meta:set': {
      const had = Object.hasOwn(clock.stamps, `meta.${op.key}`);
      if (!wins(clock, `meta.${op.key}`, op)) break;
      setMeta(next, op.key, op.value);
      effect = { kind: 'meta', meta: keptMeta(clock, had, op.key, op.value) };
      break;
    }
    case 'env:set':
      if (wins(clock, 'env', op)) next.env = op.env;
      break;
    case 'child:link':
      next.childThreadIDs = addId(core.childThreadIDs, op.linked);
      if (next.childThreadIDs !== core.childThreadIDs) effect = linked(clock, op);
      break;
    case 'summary:link':
      next.summaryThreadIDs = addId(core.summaryThreadIDs, op.linked);
      if (next.summaryThreadIDs !== core.summaryThreadIDs) effect = linked(clock, op);
      break;
    case 'archive':
      if (wins(clock, 'archived', op)) next.archived = op.at;
      break;
    case 'restore':
      if (wins(clock, 'archived', op)) delete next.archived;
      break;
    case 'visibility:set':
      if (wins(clock, 'visibility', op)) setVisibility(next, op.value, op.shareId);
      break;
    case 'handoff:link':
      next.links = addLink(core.links, { rel: 'handoff', threadId: op.linked });
      if (next.links !== core.links) effect = linked(clock, op);
      break;
    case 'fork:link':
    case 'mention:link':
      next.links = addLink(core.links, { rel: op.type === 'fork:link' ? 'fork' : 'mention', threadId: op.linked, messageId: op.messageId });
      if (next.links !== core.links) effect = linked(clock, op);
      break;
  }
  return { core: next, effect };
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

/** The op that starts a thread. */
export function createOp(id: ThreadID, fields: CreateFields, ctx: { clientId: string; now: number }): Op {
  const hlc = nextHlc(HLC_ZERO, ctx.now);
  return checkOpSize({ opId: uuidv7(ctx.now), threadId: id, v: 1, at: ctx.now, clientId: ctx.clientId, hlc, type: 'thread:create', created: ctx.now, fields });
}
