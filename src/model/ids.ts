import { randomFillSync } from 'node:crypto';

/** A thread id: `T-` followed by a UUIDv7, so ids sort by creation time. */
export type ThreadID = `T-${string}`;

let lastMs = 0;
let seq = 0;
// Random bytes are drawn from a pool refilled 4 KiB at a time: one system call per ~400 ids.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made in
 * the same millisecond by this process in order, then random bits.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq > 0xfff) {
    lastMs += 1;
    seq = 0;
  }
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = Buffer.allocUnsafe(16);
  const ms = lastMs;
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | ((seq >>> 8) & 0x0f);
  b[7] = seq & 0xff;
  pool.copy(b, 8, poolAt, poolAt + 8);
  poolAt += 8;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const THREAD_ID_RE = /^T-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new, time-ordered thread id. */
export function newThreadId(): ThreadID {
  return `T-${uuidv7()}`;
}

/** True when `s` has the shape of a thread id. */
export function isThreadId(s: unknown): s is ThreadID {
  return typeof s === 'string' && THREAD_ID_RE.test(s);
}
