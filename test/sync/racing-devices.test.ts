/**
 * Ten devices append 100 messages each to one thread at the same time, syncing as they go (every
 * push races the others and most of them conflict): in the end the thread holds exactly the 1,000
 * new messages, each once, in one order that every device and the server agree on, and each
 * device's own messages keep the order it wrote them in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../helpers/store-fixtures.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { assertConverged, openDevice, settle, type Device } from '../helpers/sync-devices.js';

const DEVICES = 10;
const APPENDS = 100;

describe('racing devices', () => {
  let data: string;
  let server: ServerProcess;
  let token: string;
  const devices: Device[] = [];

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    server = await startServerProcess({ data });
    token = await server.token('race');
  });
  after(async () => {
    for (const d of devices) await d.close();
    await server?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test(`${DEVICES} devices x ${APPENDS} racing appends to one thread: exactly ${DEVICES * APPENDS} new messages, one order everywhere`, async (t0) => {
    // Half keep a store directory, half are throwaway memory stores.
    for (let i = 0; i < DEVICES; i++) devices.push(await openDevice(`d${i}`, server.url, token, { memory: i % 2 === 1 }));
    const t = await devices[0]!.store.createThread({ title: 'race' });
    await devices[0]!.store.append(t.id, { type: 'user:message', message: { content: 'go' } });
    await settle(devices);

    const random = seededRandom(7);
    const errors: unknown[] = [];
    let conflicts = 0;
    await Promise.all(
      devices.map(async (d, i) => {
        const syncs: Promise<unknown>[] = [];
        for (let n = 0; n < APPENDS; n++) {
          await d.store.append(t.id, { type: 'assistant:message', message: { content: `d${i}-${n}` } });
          // Sync every few appends without waiting for it: writes go on while pushes race.
          if (random() < 0.25) syncs.push(d.store.sync.now().then((r) => (conflicts += r.conflicts), (err) => errors.push(err)));
          if (random() < 0.3) await new Promise((r) => setTimeout(r, 1));
        }
        await Promise.all(syncs);
      }),
    );
    assert.deepEqual(errors, [], 'no sync round failed');
    t0.diagnostic(`the awaited sync rounds reported ${conflicts} merged conflicts`);
    await settle(devices);

    const threads = await assertConverged(devices, server.url, token);
    const messages = threads.get(t.id)!.messages;
    assert.equal(messages.length, 1 + DEVICES * APPENDS);
    assert.equal(new Set(messages.map((m) => m.id)).size, messages.length, 'no message twice');
    assert.equal(messages[0]!.content, 'go');
    for (let i = 0; i < DEVICES; i++) {
      const mine = messages.filter((m) => m.content.startsWith(`d${i}-`)).map((m) => m.content);
      assert.deepEqual(mine, Array.from({ length: APPENDS }, (_, n) => `d${i}-${n}`), `device ${i}'s messages keep their order`);
    }
  });
});
