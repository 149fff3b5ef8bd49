/**
 * Two devices edit one thread while offline (turns with tool calls and their results, both
 * retitle, one sets meta), then come back online and sync through a real `skein serve`: both end
 * identical to the server, nothing either wrote is lost or doubled, every tool call is directly
 * followed by its result, and the later title wins.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SkeinError, type AppendResult, type Delta } from '../../src/index.js';
import { assertConverged, assertToolPairsAdjacent, settle, useTwoDevices } from '../helpers/sync-devices.js';

/** One agent turn: a prompt, a tool call, its result, and the answer. */
function turn(tag: string): Delta[] {
  return [
    { type: 'user:message', message: { content: `${tag}: please look` } },
    { type: 'assistant:message', message: { content: `${tag}: reading`, toolCalls: [{ id: `${tag}-call`, name: 'read', input: { path: `${tag}.ts` } }] } },
    { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: `${tag}-call`, output: `contents of ${tag}` }] } },
    { type: 'assistant:message', message: { content: `${tag}: done`, resourceUsage: { model: 'm', inputTokens: 10, outputTokens: 5 } } },
  ];
}

describe('two devices editing one thread offline', () => {
  const world = useTwoDevices();

  test('sync ends with both devices identical to the server, nothing lost, tool pairs adjacent', async () => {
    const { server, proxy, token, laptop, desktop } = world;

    const t = await laptop.store.createThread({ title: 'shared' });
    const base = await laptop.store.append(t.id, { type: 'user:message', message: { content: 'base message' } });
    await settle([laptop, desktop]);
    assert.equal((await desktop.store.getThread(t.id))?.messages.length, 1, 'the desktop has the thread before going offline');

    proxy.down();
    const written = new Set<string>();
    const keep = (r: AppendResult) => r.ops.forEach((op) => 'message' in op && written.add(op.message.id));
    keep(base);
    for (let i = 0; i < 3; i++) {
      keep(await laptop.store.append(t.id, turn(`laptop${i}`)));
      keep(await desktop.store.append(t.id, turn(`desktop${i}`)));
    }
    await laptop.store.append(t.id, { type: 'title', value: 'laptop title' });
    keep(await desktop.store.append(t.id, { type: 'meta:set', key: 'branch', value: 'main' }));
    await new Promise((r) => setTimeout(r, 5));
    await desktop.store.append(t.id, { type: 'title', value: 'desktop title' });

    // Offline: a sync round fails with a network error and leaves the local thread as written.
    await assert.rejects(laptop.store.sync.now(), (err) => err instanceof SkeinError && err.code === 'NETWORK');
    assert.equal((await laptop.store.getThread(t.id))?.title, 'laptop title');

    proxy.up();
    await settle([laptop, desktop]);

    const threads = await assertConverged([laptop, desktop], server.url, token);
    const merged = threads.get(t.id)!;
    // 1 base + 3 turns x 4 messages from each device, each exactly once.
    assert.equal(merged.messages.length, 1 + 2 * 3 * 4);
    assert.deepEqual(new Set(merged.messages.map((m) => m.id)), written);
    assert.equal(assertToolPairsAdjacent(merged), 6);
    // Each device's own turns keep their order.
    for (const dev of ['laptop', 'desktop'])
      assert.deepEqual(
        merged.messages.filter((m) => m.content.startsWith(dev) && m.content.endsWith('done')).map((m) => m.content),
        [0, 1, 2].map((i) => `${dev}${i}: done`),
      );
    assert.equal(merged.title, 'desktop title', 'the later retitle wins');
    assert.deepEqual(merged.meta, { branch: 'main' });
  });
});
