/**
 * Retrying (seed: `withRetry`): 3 attempts, 1000 ms x 2^n, and only for failures a retry can
 * fix: network, timeout and server (5xx) errors. Plus the per-thread backoff of the sync engine:
 * exponential with full jitter, capped, never sooner than a server's `Retry-After`.
 */
import { SkeinError, ErrorCode } from '../errors.js';

/** True for network, timeout and 5xx failures. */
export function isRetryable(err: unknown): boolean {
  return err instanceof SkeinError && (err.code === ErrorCode.NETWORK || err.code === ErrorCode.TIMEOUT || err.code === ErrorCode.SERVER);
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn`, retrying retryable failures with 1000 ms x 2^n between attempts (a `Retry-After` wins when longer). */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const baseMs = options.baseMs ?? 1000;
  const wait = options.sleep ?? sleep;
  for (let n = 0; ; n++) {
    try {
      return await fn();
    } catch (err) {
      if (n + 1 >= attempts || !isRetryable(err)) throw err;
      await wait(Math.max(baseMs * 2 ** n, retryAfterOf(err) ?? 0));
    }
  }
}

/** The `Retry-After` a failure carried, in ms. */
export function retryAfterOf(err: unknown): number | undefined {
  const ms = err instanceof SkeinError ? err.details?.retryAfterMs : undefined;
  return typeof ms === 'number' ? ms : undefined;
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base x 2^attempt)). */
export function backoffDelay(attempt: number, options: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const base = options.baseMs ?? 1000;
  const cap = options.capMs ?? 5 * 60_000;
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}

/** A `Retry-After` header (seconds or an HTTP date) in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
