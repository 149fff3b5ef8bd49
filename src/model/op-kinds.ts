/** What kind of op an op is, decided in one place. */
import type { Op } from './types.js';

/** An op that carries a message. */
export type MessageOp = Extract<Op, { type: 'user:message' | 'assistant:message' | 'system:message' }>;

/** True for the ops that carry a message (`user:message`, `assistant:message`, `system:message`). */
export function isMessageOp(op: Op): op is MessageOp {
  return op.type === 'user:message' || op.type === 'assistant:message' || op.type === 'system:message';
}
