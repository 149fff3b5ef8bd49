/**
 * How one complete op changes a thread's core: `step` folds it into the head and says what happens
 * to the message rows (the only place where an op's meaning is written down). Stores, the writer,
 * sync, merge and replay all fold through it, so every replica folds the same way.
 */
import { addId, addLink } from './links.js';
import { countLink, type StoredLink } from './bounded-links.js';
import { keptMeta, type StoredMeta } from './bounded-meta.js';
import { compareKeys, isTopLevel, maxHlc } from './order-key.js';
import { boundCalls, nextOpenCalls } from './open-calls.js';
import type { HiddenRange, Message, Op, Stamp, Thread, ThreadClock, Visibility } from './types.js';

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

/** True when `key` falls inside one of the hidden ranges. */
export function isHidden(key: string, hidden: readonly HiddenRange[]): boolean {
  for (const r of hidden) if (key >= r.fromKey && key < r.toKey) return true;
  return false;
}

/** Orders two stamps: the later write is the larger. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return compareKeys(a.hlc, b.hlc) || compareKeys(a.clientId, b.clientId) || compareKeys(a.opId, b.opId);
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

