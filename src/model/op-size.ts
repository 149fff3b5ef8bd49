/** The size limit of one op (so that every stored op can reach a server), and the op's stored JSON. */
import { SkeinError, ErrorCode } from '../errors.js';
import type { Op } from './types.js';

/**
 * The largest op, as JSON bytes, a store accepts: what one sync request to a server with the
 * default body limit (8 MiB) carries alongside its envelope. A larger op could never reach the
 * server and would hold back every later op of its thread, so it is refused when written.
 */
export const MAX_OP_BYTES = 7 * 1024 * 1024;

/**
 * Bodies serialized by `checkOpSize`, until a store takes them (`opBodyJson`): an op made for a
 * write is serialized once. Taken once, so that an op handed back to a caller is serialized anew.
 */
const bodies = new WeakMap<Op, string>();

/** The op without the fields that have columns of their own (thread, version, id), as JSON. */
function bodyJson(op: Op): string {
  const { threadId: _t, v: _v, opId: _o, ...rest } = op;
  return JSON.stringify(rest);
}

/**
 * The stored JSON of an op (without thread, version and id): the one `checkOpSize` made for it
 * when there is one (an op this process just completed), else serialized now.
 */
export function opBodyJson(op: Op): string {
  const made = bodies.get(op);
  if (made === undefined) return bodyJson(op);
  bodies.delete(op);
  return made;
}

/** The op itself, or PAYLOAD_TOO_LARGE when its JSON is over {@link MAX_OP_BYTES}. */
export function checkOpSize<T extends Op>(op: T): T {
  const body = bodyJson(op);
  // The whole op's JSON is the body's plus `"opId":…,"threadId":…,"v":…,` (the same bytes in any key order).
  const bytes = Buffer.byteLength(body) + Buffer.byteLength(JSON.stringify({ opId: op.opId, threadId: op.threadId, v: op.v })) - 1;
  if (bytes > MAX_OP_BYTES)
    throw new SkeinError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `this ${op.type} op is ${bytes} bytes as JSON; at most ${MAX_OP_BYTES} fit in one sync request (keep large tool output in a file and store its path or a summary)`,
      { details: { bytes, max: MAX_OP_BYTES, type: op.type } },
    );
  bodies.set(op, body);
  return op;
}
