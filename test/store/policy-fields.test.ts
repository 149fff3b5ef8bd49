/**
 * Persistence policies have only fields that do something: `memoryTtlMs`, `local`, `sync` and
 * `priority`. A field the store would silently ignore (such as the former `compress`) is refused
 * with VALIDATION naming it, and nothing is opened.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, POLICY_PRESETS } from '../../src/index.js';

describe('policy fields', () => {
  test('every preset has exactly the fields the store reads', () => {
    for (const [name, preset] of Object.entries(POLICY_PRESETS))
      assert.deepEqual(Object.keys(preset).sort(), ['local', 'memoryTtlMs', 'priority', 'sync'], name);
  });

  test('a field no code reads is refused, naming it', async () => {
    await assert.rejects(
      openStore({ dir: ':memory:', policies: { summary: { compress: true } as never } }),
      (e: { code?: string; message?: string }) => e.code === 'VALIDATION' && /policies\.summary\.compress/.test(e.message ?? ''),
    );
    const s = await openStore({ dir: ':memory:', policies: { summary: { memoryTtlMs: 5 } } });
    assert.equal(s.policies.summary.memoryTtlMs, 5);
    await s.close();
  });
});
