/** store.setVisibility on a real SQLite store: validation, history, and what new threads inherit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/index.js';
import type { SkeinError } from '../../src/errors.js';

test('setVisibility validates, is an op in the history, and sub-agents and summaries of a private thread are private', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-vis-store-'));
  const store = await openStore({ dir });
  try {
    const t = await store.createThread({ title: 'p' });
    await assert.rejects(store.setVisibility(t.id, 'secret' as never), (e: SkeinError) => e.code === 'VALIDATION');
    await assert.rejects(store.setVisibility('T-nope' as never, 'public'), (e: SkeinError) => e.code === 'VALIDATION');
    assert.equal((await store.info(t.id))!.v, 1, 'a refused call changes nothing');

    const pub = await store.setVisibility(t.id, 'public');
    assert.equal(pub.v, 2);
    const priv = await store.setVisibility(t.id, 'private');
    assert.equal(priv.shareId, undefined);
    const reopened = (await store.getThread(t.id))!;
    assert.equal(reopened.visibility, 'private');
    assert.deepEqual((await store.history(t.id)).map((op) => op.type), ['thread:create', 'visibility:set', 'visibility:set']);
    assert.equal((await store.getThread(t.id, { atVersion: 2 }))!.shareId, pub.shareId, 'time travel shows the old link');

    const child = await store.spawnSubAgentThread(t.id, 'look around');
    assert.equal(child.visibility, 'private');
    const summary = await store.createSummaryThread(t.id, 'it went fine');
    assert.equal(summary.visibility, 'private');
    await store.setVisibility(t.id, 'workspace');
    assert.equal((await store.spawnSubAgentThread(t.id, 'again')).visibility, undefined, 'workspace (the default) is absent');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
