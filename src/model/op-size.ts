/** The size limit of one op (so that every stored op can reach a server). */
import { SkeinError, ErrorCode } from '../errors.js';
import type { Op } from './types.js';

/**
 * The largest op, as JSON bytes, a store accepts: what one sync request to a server with the
 * default body limit (8 MiB) carries alongside its envelope. A larger op could never reach the
 * server and would hold back every later op of its thread, so it is refused when written.
 */
export const MAX_OP_BYTES = 7 * 1024 * 1024;

/** Most UTF-8 bytes one UTF-16 code unit takes in JSON (`\u001f`). */
const UNIT = 6;

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))`, from a walk that serializes
 * nothing (a string counts 6 bytes a code unit plus quotes, a number 25), or Infinity for
 * anything that is not plain JSON data (the caller then measures exactly).
 */
export function jsonBytesBound(value: unknown, depth = 0): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 5;
  if (typeof value === 'string') return UNIT * value.length + 2;
  if (typeof value === 'number') return 25;
  if (typeof value !== 'object' || depth > 100) return Infinity;
  let n = 2;
  if (Array.isArray(value)) {
    for (const v of value) n += jsonBytesBound(v, depth + 1) + 1;
    return n;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Object.hasOwn(value, 'toJSON')) return Infinity;
  for (const k of Object.keys(value)) n += UNIT * k.length + 4 + jsonBytesBound((value as Record<string, unknown>)[k], depth + 1);
  return n;
}

/**
 * The op itself, or PAYLOAD_TOO_LARGE when its JSON is over {@link MAX_OP_BYTES}. Measured
 * exactly only when the bound says it might be: the op is serialized once, when it is stored.
 */
export function checkOpSize<T extends Op>(op: T): T {
  if (jsonBytesBound(op) <= MAX_OP_BYTES) return op;
  const bytes = Buffer.byteLength(JSON.stringify(op));
  if (bytes > MAX_OP_BYTES)
    throw new SkeinError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `this ${op.type} op is ${bytes} bytes as JSON; at most ${MAX_OP_BYTES} fit in one sync request (keep large tool output in a file and store its path or a summary)`,
      { details: { bytes, max: MAX_OP_BYTES, type: op.type } },
    );
  return op;
}
