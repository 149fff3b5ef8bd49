/**
 * The public Store is the facade only: the methods only sync needs (applyRemoteOps, rebaseLog,
 * importThread, attachSync) and the backend are neither on its type (checked by the compiler:
 * each `@ts-expect-error` fails the typecheck if the member comes back) nor on the object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/index.js';

test('the Store exposes no sync-only members and no backend', async () => {
  const store = await openStore({ dir: ':memory:' });
  try {
    // @ts-expect-error not public
    void store.backend;
    // @ts-expect-error not public
    void store.applyRemoteOps;
    // @ts-expect-error not public
    void store.rebaseLog;
    // @ts-expect-error not public
    void store.importThread;
    // @ts-expect-error not public
    void store.attachSync;
    for (const name of ['backend', 'applyRemoteOps', 'rebaseLog', 'importThread', 'attachSync'])
      assert.equal((store as unknown as Record<string, unknown>)[name], undefined, name);
    assert.equal(typeof store.append, 'function');
  } finally {
    await store.close();
  }
});
