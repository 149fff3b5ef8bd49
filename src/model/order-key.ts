/**
 * Order keys: the string that fixes a message's place in a thread on every replica.
 *
 * A key is a path of segments joined by `!`. Each segment is a hybrid-logical-clock stamp
 * (12 hex digits of milliseconds, 4 hex digits of counter) followed by the writer's client id.
 * A turn's opening user message has a one-segment key; the other messages of the turn are its
 * children; a message carrying tool results is a child of the message that made the calls. Because
 * `!` sorts below every character a client id may hold, a node's whole subtree sorts right after
 * it and before its next sibling, so concurrent messages can fall between turns, never inside one.
 */

/** Hex digits of milliseconds, then of counter, in one stamp. */
const MS_DIGITS = 12;
const CTR_DIGITS = 4;
const STAMP_LEN = MS_DIGITS + CTR_DIGITS;
const MAX_CTR = 16 ** CTR_DIGITS - 1;

/** The separator between segments; below every client id character. */
export const KEY_SEP = '!';

/** Client ids are short and use only characters that sort above {@link KEY_SEP}. */
export const CLIENT_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A hybrid logical clock stamp, as its fixed-width hex form (sorts as time, then counter). */
export type Hlc = string;

/** The zero stamp, below every real one. */
export const HLC_ZERO: Hlc = '0'.repeat(STAMP_LEN);

/** The stamp after `last` at physical time `now`: above `last`, and at `now` when the clock allows. */
export function nextHlc(last: Hlc, now: number): Hlc {
  const lastMs = parseInt(last.slice(0, MS_DIGITS), 16);
  const lastCtr = parseInt(last.slice(MS_DIGITS), 16);
  let ms = Math.max(Math.floor(now), 0);
  let ctr = 0;
  if (ms <= lastMs) {
    ms = lastMs;
    ctr = lastCtr + 1;
    if (ctr > MAX_CTR) {
      ms += 1;
      ctr = 0;
    }
  }
  return ms.toString(16).padStart(MS_DIGITS, '0') + ctr.toString(16).padStart(CTR_DIGITS, '0');
}

/** The milliseconds of a stamp. */
export function hlcMs(h: Hlc): number {
  return parseInt(h.slice(0, MS_DIGITS), 16);
}

/** The larger of two stamps. */
export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return a >= b ? a : b;
}

/** A key for a message: a child of `parent` (a key) or a top-level key when `parent` is absent. */
export function makeKey(parent: string | undefined, hlc: Hlc, clientId: string): string {
  const seg = hlc + clientId;
  return parent === undefined ? seg : parent + KEY_SEP + seg;
}

/** The stamp of a key's last segment: when the keyed message was written. */
export function keyHlc(key: string): Hlc {
  const i = key.lastIndexOf(KEY_SEP);
  return key.slice(i + 1, i + 1 + STAMP_LEN);
}

/** The client id of a key's last segment. */
export function keyClient(key: string): string {
  const i = key.lastIndexOf(KEY_SEP);
  return key.slice(i + 1 + STAMP_LEN);
}

/** True when the key has a single segment (a turn opener or a message outside any turn). */
export function isTopLevel(key: string): boolean {
  return !key.includes(KEY_SEP);
}

/** Plain code-unit order, which for these ASCII keys equals SQLite's and Postgres' C order. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
