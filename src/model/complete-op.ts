/**
 * How a caller's delta becomes a complete op: validated, stamped with the thread's hybrid logical
 * clock, its message given an id, a timestamp, a role and an order key. `createOp` makes the op
 * that starts a thread.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { uuidv7, type ThreadID } from './ids.js';
import { checkOpSize } from './op-size.js';
import { cloneFields } from './json-clone.js';
import { HLC_ZERO, makeKey, nextHlc } from './order-key.js';
import { parseDelta } from './schema.js';
import { isHidden, type ThreadCore } from './step.js';
import type { CreateFields, Delta, HiddenRange, Message, Op, Role } from './types.js';

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

/** The message fields a caller may give that `completeOp` fills when absent. */
const FILLED = ['id', 'timestamp'];

/**
 * A parent is usable only when the new key under it is outside every hidden range: after a
 * truncate inside a turn, the range [fromKey, toKey) also covers the turn's later children, so a
 * reply keyed there would be hidden as it is written. (A hidden parent's children are hidden too,
 * so this also refuses hidden parents.)
 */
function usable(parent: string | undefined, hlc: string, clientId: string, hidden: readonly HiddenRange[]): string | undefined {
  return parent !== undefined && !isHidden(makeKey(parent, hlc, clientId), hidden) ? parent : undefined;
}

/** The fields every op but a message op starts with (a message op takes its message's id). */
function headerOf(core: ThreadCore, ctx: OpContext, hlc: string) {
  return { opId: uuidv7(ctx.now), threadId: core.id, v: core.v + 1, at: ctx.now, clientId: ctx.clientId, hlc };
}

/**
 * Turns a delta into a complete op at version `core.v + 1`: validates it, stamps it with the
 * thread's hybrid logical clock, fills the message's id, timestamp and role, and gives the message
 * its order key (a child of the open turn, or of the message whose tool calls it answers).
 */
export function completeOp(core: ThreadCore, input: Delta, ctx: OpContext): Op {
  const delta = parseDelta(input);
  const hlc = nextHlc(core.clock.maxHlc, ctx.now);
  switch (delta.type) {
    case 'user:message':
    case 'assistant:message':
    case 'system:message': {
      const role = ROLE_OF[delta.type]!;
      const given = delta.message;
      const results = given.toolResults;
      const { openCalls, turnKey, hidden } = core.clock;
      // The parent is the call the first answerable result answers, else the open turn.
      let parent: string | undefined;
      let answered = false;
      for (const r of results ?? []) {
        const id = r.toolCallId;
        parent = usable(Object.hasOwn(openCalls, id) ? openCalls[id] : ctx.callKey?.(id), hlc, ctx.clientId, hidden);
        if ((answered = parent !== undefined)) break;
      }
      if (!answered && (role !== 'user' || results?.length)) parent = usable(turnKey, hlc, ctx.clientId, hidden);
      // A copy: the stored message must not share arrays or objects with the caller's delta. Its
      // fields keep the caller's order; id, role, timestamp and key follow them.
      const message = cloneFields(given as Record<string, unknown>, FILLED) as Message;
      message.id = (Object.hasOwn(given, 'id') ? given.id : undefined) ?? uuidv7(ctx.now);
      message.role = role;
      message.timestamp = (Object.hasOwn(given, 'timestamp') ? given.timestamp : undefined) ?? ctx.now;
      message.key = makeKey(parent, hlc, ctx.clientId);
      return checkOpSize({ opId: message.id, threadId: core.id, v: core.v + 1, at: ctx.now, clientId: ctx.clientId, hlc, type: delta.type, message });
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
      return { ...headerOf(core, ctx, hlc), type: 'thread:truncate', fromIndex: index, fromMessageId: first.id, fromKey: first.key, toKey };
    }
    case 'title':
      return { ...headerOf(core, ctx, hlc), type: 'title', value: delta.value };
    case 'meta:set':
      return checkOpSize({ ...headerOf(core, ctx, hlc), type: 'meta:set', key: delta.key, value: delta.value });
    case 'env:set':
      return checkOpSize({ ...headerOf(core, ctx, hlc), type: 'env:set', env: delta.env });
    case 'child:link':
    case 'summary:link':
      return { ...headerOf(core, ctx, hlc), type: delta.type, linked: delta.threadId };
    case 'archive':
    case 'restore':
      return { ...headerOf(core, ctx, hlc), type: delta.type };
    case 'handoff:link':
      return { ...headerOf(core, ctx, hlc), type: 'handoff:link', linked: delta.threadId };
    case 'fork:link':
    case 'mention:link':
      return { ...headerOf(core, ctx, hlc), type: delta.type, linked: delta.threadId, messageId: delta.messageId };
    case 'visibility:set':
      // A fresh random link each time a thread becomes public: an old link never comes back.
      return delta.value === 'public'
        ? { ...headerOf(core, ctx, hlc), type: 'visibility:set', value: 'public', shareId: randomBytes(18).toString('base64url') }
        : { ...headerOf(core, ctx, hlc), type: 'visibility:set', value: delta.value };
  }
}

/** The op that starts a thread. */
export function createOp(id: ThreadID, fields: CreateFields, ctx: { clientId: string; now: number }): Op {
  const hlc = nextHlc(HLC_ZERO, ctx.now);
  return checkOpSize({ opId: uuidv7(ctx.now), threadId: id, v: 1, at: ctx.now, clientId: ctx.clientId, hlc, type: 'thread:create', created: ctx.now, fields });
}
