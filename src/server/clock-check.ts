/**
 * The server's check of pushed clocks: an op whose hybrid-logical-clock stamp (its `hlc`, or any
 * stamp in a message's order key or a truncate's range) lies further ahead of the server's clock
 * than {@link MAX_CLOCK_SKEW_MS} is refused. Accepted, such a stamp would become every replica's
 * clock for the thread (stamps only move up), so each later write would carry it forward, and
 * one near the top of the 16-digit range would make the next stamp too long for the schema:
 * the thread would be set aside on every device.
 */
import { ValidationError } from '../errors.js';
import { hlcMs } from '../model/order-key.js';
import type { Op } from '../model/types.js';

/** How far a pushed stamp may run ahead of the server's clock: one day. */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/** Every stamp an op carries: its hlc and each segment of its order keys. */
function stampsOf(op: Op): { field: string; hlc: string }[] {
  const out = [{ field: 'hlc', hlc: op.hlc }];
  const keys: [string, string | undefined][] = [];
  if ('message' in op) keys.push(['message.key', op.message.key]);
  if (op.type === 'thread:truncate') keys.push(['fromKey', op.fromKey], ['toKey', op.toKey]);
  for (const [field, key] of keys) for (const seg of key?.split('!') ?? []) out.push({ field, hlc: seg.slice(0, 16) });
  return out;
}

/**
 * Throws VALIDATION (naming the op and field) when a stamp of `ops` is more than `maxSkewMs`
 * ahead of `now`.
 */
export function checkClocks(ops: readonly Op[], now: number, maxSkewMs = MAX_CLOCK_SKEW_MS): void {
  const limit = now + maxSkewMs;
  for (const op of ops) {
    for (const { field, hlc } of stampsOf(op)) {
      const ms = hlcMs(hlc);
      if (ms > limit) {
        const ahead = ms - now;
        throw new ValidationError(
          `ops.v${op.v}.${field}`,
          `clock stamp ${hlc} is ${Math.round(ahead / 60_000)} minutes ahead of the server's clock (at most ${maxSkewMs / 60_000} allowed): check the device's clock`,
        );
      }
    }
  }
}
