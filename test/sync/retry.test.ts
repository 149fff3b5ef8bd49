/**
 * The retry pieces on their own: full-jitter backoff (uniform in [0, min(cap, base x 2^n))),
 * `Retry-After` parsing, and `withRetry` (3 attempts, 1000 ms x 2^n, only network, timeout and
 * 5xx failures, a longer Retry-After wins).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SkeinError } from '../../src/index.js';
import { backoffDelay, isRetryable, parseRetryAfter, withRetry } from '../../src/sync/retry.js';

describe('backoffDelay', () => {
  test('is full jitter: anywhere from 0 up to base x 2^attempt, capped', () => {
    assert.equal(backoffDelay(0, { baseMs: 1000, random: () => 0 }), 0);
    assert.equal(backoffDelay(0, { baseMs: 1000, random: () => 0.999999 }), 999);
    assert.equal(backoffDelay(3, { baseMs: 1000, random: () => 0.5 }), 4000);
    assert.equal(backoffDelay(3, { baseMs: 1000, capMs: 5000, random: () => 0.999999 }), 4999);
    assert.equal(backoffDelay(40, { baseMs: 1000, capMs: 60_000, random: () => 0.5 }), 30_000, 'huge attempt counts stay capped');
  });

  test('spreads retries over the whole window (not bunched near its top)', () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4, { baseMs: 100 }));
    assert.ok(samples.every((d) => d >= 0 && d < 1600));
    assert.ok(samples.some((d) => d < 400) && samples.some((d) => d >= 1200), 'both ends of [0, 1600) are used');
  });
});

describe('parseRetryAfter', () => {
  test('reads seconds and HTTP dates, ignores garbage', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(' 0 '), 0);
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Mon, 31 Dec 2029 23:59:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

describe('withRetry', () => {
  const fail = (code: SkeinError['code'], retryAfterMs?: number) =>
    new SkeinError(code, `failed with ${code}`, retryAfterMs === undefined ? undefined : { details: { retryAfterMs } });

  test('retries network, timeout and server errors: 3 attempts with 1000 ms x 2^n between', async () => {
    for (const code of ['NETWORK', 'TIMEOUT', 'SERVER'] as const) {
      const waits: number[] = [];
      let calls = 0;
      await assert.rejects(
        withRetry(
          async () => {
            calls++;
            throw fail(code);
          },
          { sleep: async (ms) => void waits.push(ms) },
        ),
        (err) => err instanceof SkeinError && err.code === code,
      );
      assert.equal(calls, 3);
      assert.deepEqual(waits, [1000, 2000]);
      assert.ok(isRetryable(fail(code)));
    }
  });

  test('answers as soon as an attempt succeeds', async () => {
    let calls = 0;
    const r = await withRetry(
      async () => {
        if (++calls < 3) throw fail('NETWORK');
        return 'done';
      },
      { sleep: async () => undefined },
    );
    assert.equal(r, 'done');
    assert.equal(calls, 3);
  });

  test('never retries what a retry cannot fix', async () => {
    for (const err of [fail('VALIDATION'), fail('UNAUTHORIZED'), fail('NOT_FOUND'), new Error('a bug')]) {
      let calls = 0;
      await assert.rejects(
        withRetry(
          async () => {
            calls++;
            throw err;
          },
          { sleep: async () => undefined },
        ),
        (e) => e === err,
      );
      assert.equal(calls, 1);
    }
  });

  test("waits at least the server's Retry-After when it is longer", async () => {
    const waits: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls === 1) throw fail('SERVER', 7000);
        if (calls === 2) throw fail('SERVER', 10);
        return 'ok';
      },
      { sleep: async (ms) => void waits.push(ms) },
    );
    assert.deepEqual(waits, [7000, 2000]);
  });
});
