/** The size limit of one op (so that every stored op can reach a server). */
import { SkeinError, ErrorCode } from '../errors.js';
import type { Op } from './types.js';

/**
 * The largest op, as JSON bytes, a store accepts: what one sync request to a server with the
 * default body limit (8 MiB) carries alongside its envelope. A larger op could never reach the
 * server and would hold back every later op of its thread, so it is refused when written.
 */
export const MAX_OP_BYTES = 7 * 1024 * 1024;

/** The op itself, or PAYLOAD_TOO_LARGE when its JSON is over {@link MAX_OP_BYTES}. */
export function checkOpSize<T extends Op>(op: T): T {
  const bytes = Buffer.byteLength(JSON.stringify(op));
  if (bytes > MAX_OP_BYTES)
    throw new SkeinError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `this ${op.type} op is ${bytes} bytes as JSON; at most ${MAX_OP_BYTES} fit in one sync request (keep large tool output in a file and store its path or a summary)`,
      { details: { bytes, max: MAX_OP_BYTES, type: op.type } },
    );
  return op;
}
