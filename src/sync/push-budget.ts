/**
 * Pushes sized to fit the server's body limit. A push carries at most {@link MAX_PUSH_BYTES} of
 * op JSON: a thread's ops are cut to the prefix that fits (the rest go in the next round) and
 * threads that do not fit beside the others go in a request of their own. Every op fits alone,
 * because the store refuses to write one over `MAX_OP_BYTES` (PAYLOAD_TOO_LARGE), so one large op
 * never holds back the rest of its thread or of its batch.
 */
import { MAX_OP_BYTES } from '../model/op-size.js';

/** Op JSON bytes per push: the largest op plus room, under the server's default 8 MiB body limit with the envelope. */
export const MAX_PUSH_BYTES = MAX_OP_BYTES + 512 * 1024;

/**
 * The longest prefix of `ops` whose JSON fits in `budget` bytes, and its size. With `atLeastOne`,
 * the first op is taken even when it alone is larger (it then goes alone).
 */
export function fitOps<T extends { text: string }>(ops: readonly T[], budget: number, atLeastOne: boolean): { ops: T[]; bytes: number } {
  const out: T[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = Buffer.byteLength(op.text);
    if (bytes + size > budget && !(atLeastOne && out.length === 0)) break;
    out.push(op);
    bytes += size;
  }
  return { ops: out, bytes };
}
