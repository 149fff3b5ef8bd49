/**
 * Open tool calls, bounded. A thread's head remembers which message made each tool call that has
 * no result yet, so that the message carrying a result can be keyed under its call (DESIGN
 * section 3). Unanswered calls are common (a session killed mid-tool, an interrupted turn, a
 * transcript that ends on calls), so the head must not collect them forever:
 *
 * - a turn closes its calls: only calls made inside the current turn (the subtree of
 *   `clock.turnKey`) are kept, and a new turn opener drops the others;
 * - at most {@link MAX_CALL_MESSAGES} calling messages are remembered: past that, the calls of
 *   the message with the smallest key go.
 *
 * So the head's share is bounded by the size of the last few calling messages, whatever the length
 * of the thread. A result whose call the head forgot is keyed under its call all the same when the
 * caller of `completeOp` can find the call (`OpContext.callKey`: a store keeps an index of calls
 * beside its message rows, a whole thread is searched with {@link callKeyIn}); only when nobody
 * can, it is keyed as a child of the open turn: after its call (its stamp is newer), in the turn.
 */
import { KEY_SEP, compareKeys } from './order-key.js';
import type { Message } from './types.js';

/** How many calling messages the head remembers, at most. */
export const MAX_CALL_MESSAGES = 8;

/** Call id -> key of the message that made the call. */
export type OpenCalls = Record<string, string>;

/** True when `key` is inside the turn opened by `turnKey` (with no turn yet, every key is). */
export function inTurn(key: string, turnKey: string | undefined): boolean {
  return turnKey === undefined || key === turnKey || key.startsWith(turnKey + KEY_SEP);
}

/** Sets an own property, also for a caller's id like `__proto__` (plain assignment would not). */
function setOwn(o: OpenCalls, id: string, key: string): void {
  Object.defineProperty(o, id, { value: key, enumerable: true, writable: true, configurable: true });
}

/**
 * The bounded form of a set of open calls: those inside the turn `turnKey`, of the
 * {@link MAX_CALL_MESSAGES} calling messages with the largest keys, listed by call id.
 */
export function boundCalls(open: OpenCalls, turnKey: string | undefined): OpenCalls {
  const entries = Object.entries(open).filter(([, key]) => inTurn(key, turnKey));
  const keys = [...new Set(entries.map(([, key]) => key))].sort(compareKeys);
  const kept = new Set(keys.slice(-MAX_CALL_MESSAGES));
  const out: OpenCalls = {};
  for (const [id, key] of entries.sort(([a], [b]) => compareKeys(a, b))) if (kept.has(key)) setOwn(out, id, key);
  return out;
}

/**
 * The open calls after a message keyed `key` that makes `calls` and answers `results`, in the
 * turn `turnKey` (already moved on when this message opens a turn). Calls made outside the turn (a
 * late message of an earlier turn, arriving by sync) are not remembered.
 */
export function nextOpenCalls(open: OpenCalls, turnKey: string | undefined, key: string, calls: readonly { id: string }[], results: readonly { toolCallId: string }[]): OpenCalls {
  const next: OpenCalls = { ...open };
  for (const r of results) delete next[r.toolCallId];
  if (inTurn(key, turnKey)) for (const c of calls) setOwn(next, c.id, key);
  return boundCalls(next, turnKey);
}

/** The key of the message (the newest by key) in `messages` that made tool call `callId`. */
export function callKeyIn(messages: readonly Message[], callId: string): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.toolCalls?.some((c) => c.id === callId)) return messages[i]!.key;
  return undefined;
}
