/**
 * A thread with more links than its stored head keeps (model/bounded-links.ts), linked on two
 * devices while offline (some links on both): after sync through a real `skein serve`, both
 * devices and the server show every link once, and each device's stored head is bounded.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newThreadId, type Delta, type Store, type ThreadID } from '../../src/index.js';
import { MAX_LINKS } from '../../src/model/bounded-links.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { assertConverged, settle, useTwoDevices } from '../helpers/sync-devices.js';

const backendOf = (store: Store): StorageBackend => (store as unknown as { core: { backend: StorageBackend } }).core.backend;

describe('links past the head on two devices', () => {
  const world = useTwoDevices();

  test('every link once on both devices and the server; stored heads bounded', async () => {
    const { server, proxy, token, laptop, desktop } = world;
    const t = await laptop.store.createThread({ title: 'linked' });
    const shared: ThreadID[] = Array.from({ length: MAX_LINKS + 2 }, () => newThreadId());
    await laptop.store.append(t.id, shared.map((threadId): Delta => ({ type: 'child:link', threadId })));
    await settle([laptop, desktop]);

    proxy.down();
    const own = (n: number) => Array.from({ length: n }, (_, i): Delta => ({ type: 'mention:link', threadId: newThreadId(), messageId: `m${i}` }));
    // Both link the same sub-agents again (already linked) and some of their own.
    for (const d of [laptop, desktop]) {
      await d.store.append(t.id, shared.map((threadId): Delta => ({ type: 'child:link', threadId })));
      await d.store.append(t.id, own(MAX_LINKS + 1));
      await d.store.append(t.id, { type: 'child:link', threadId: newThreadId() });
    }
    proxy.up();
    await settle([laptop, desktop]);

    const threads = await assertConverged([laptop, desktop], server.url, token);
    const merged = threads.get(t.id)!;
    assert.equal(merged.childThreadIDs.length, shared.length + 2);
    assert.equal(merged.links!.length, 2 * (MAX_LINKS + 1));
    for (const d of [laptop, desktop]) {
      assert.deepEqual((await d.store.info(t.id))!.childThreadIDs, merged.childThreadIDs);
      const head = (await backendOf(d.store).getHead(t.id))!;
      assert.equal(head.childThreadIDs.length, MAX_LINKS);
      assert.equal(head.links!.length, MAX_LINKS);
      const row = (await d.store.listThreads()).threads.find((x) => x.id === t.id)!;
      assert.deepEqual([row.childCount, row.linkCount], [shared.length + 2, 2 * (MAX_LINKS + 1)]);
    }
  });
});
