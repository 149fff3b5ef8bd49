/**
 * How a caller's delta becomes a complete op: validated, stamped with the thread's hybrid logical
 * clock, its message given an id, a timestamp, a role and an order key. `createOp` makes the op
 * that starts a thread.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { uuidv7, type ThreadID } from './ids.js';
import { checkOpSize } from './op-size.js';
import { cloneJson } from './json-clone.js';
import { HLC_ZERO, makeKey, nextHlc } from './order-key.js';
import { parseDelta } from './schema.js';
import { isHidden, type ThreadCore } from './step.js';
import type { CreateFields, Delta, Message, Op, Role } from './types.js';

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

/** The op that starts a thread. */
export function createOp(id: ThreadID, fields: CreateFields, ctx: { clientId: string; now: number }): Op {
  const hlc = nextHlc(HLC_ZERO, ctx.now);
  return checkOpSize({ opId: uuidv7(ctx.now), threadId: id, v: 1, at: ctx.now, clientId: ctx.clientId, hlc, type: 'thread:create', created: ctx.now, fields });
}
