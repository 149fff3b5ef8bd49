/**
 * Live updates across server instances: two `skein serve --db` processes on one PostgreSQL schema.
 * A device following server A's event stream (`live: true`, its interval timer far out of the way)
 * receives a poke and the data for a write another device pushed through server B (Postgres
 * LISTEN/NOTIFY carries it between the instances), and a writer's `observe` on the receiving
 * device sees the new message. Pokes also travel on a schema whose name has the longest allowed
 * length (the NOTIFY channel is named after the schema).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Thread, ThreadWriter } from '../../src/index.js';
import { openServerStorage } from '../../src/server/open-storage.js';
import { createTestSchema, PG_SKIPPED, PG_URL, type TestSchema } from '../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice, settle, type Device } from '../helpers/sync-devices.js';

/** Resolves with the first thread `writer.observe` reports that satisfies `ok`; fails after `ms`. */
function observed(writer: ThreadWriter, ok: (t: Thread) => boolean, ms = 20_000): Promise<Thread> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`observe saw no matching thread within ${ms} ms`));
    }, ms);
    const off = writer.observe((t) => {
      if (!ok(t)) return;
      clearTimeout(timer);
      off();
      resolve(t);
    });
  });
}

describe('live pokes across two server instances on PostgreSQL', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, () => {
  let db: TestSchema;
  let a: ServerProcess;
  let b: ServerProcess;
  const devices: Device[] = [];

  before(async () => {
    db = await createTestSchema();
    a = await startServerProcess({ db: PG_URL, schema: db.schema });
    b = await startServerProcess({ db: PG_URL, schema: db.schema });
  });
  after(async () => {
    for (const d of devices) await d.close();
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('a write pushed through server B reaches a device following server A, and its observe', async () => {
    const token = await a.token('team');
    const writer = await openDevice('writer', b.url, token, { memory: true });
    devices.push(writer);
    const t = await writer.store.createThread({ title: 'live' });
    await settle([writer]);

    // Only a poke can make this device sync: its timer would first fire in ten minutes.
    const follower = await openDevice('follower', a.url, token, { remote: { intervalMs: 600_000 } });
    devices.push(follower);
    await follower.store.sync.now();
    follower.store.sync.start({ live: true });
    const w = await follower.store.acquireWriter(t.id);
    try {
      for (let i = 0; !(await streamsOpen(a.url)); i++) {
        if (i > 200) throw new Error('the follower never opened an event stream on server A');
        await new Promise((r) => setTimeout(r, 50));
      }
      const seen = observed(w, (th) => th.messages.some((m) => m.content === 'hello from B'));
      await writer.store.append(t.id, { type: 'user:message', message: { content: 'hello from B' } });
      const pushed = await writer.store.sync.now();
      assert.equal(pushed.pushed, 1);

      const th = await seen;
      assert.equal(th.messages.at(-1)?.content, 'hello from B');
      assert.equal((await follower.store.getThread(t.id))?.v, (await writer.store.getThread(t.id))?.v);
      assert.equal(follower.store.sync.status().live, true);
    } finally {
      await w.dispose();
    }
  });

  test('pokes travel between instances on a schema with a name of the longest allowed length', async () => {
    const schema = `${db.schema}_${'x'.repeat(62 - db.schema.length)}`;
    assert.equal(schema.length, 63);
    const one = await openServerStorage({ db: PG_URL, schema });
    const two = await openServerStorage({ db: PG_URL, schema });
    try {
      const heard = new Promise<unknown>((resolve) => two.subscribe((ws, ev) => resolve({ ws, ev })));
      await one.publish('team', { id: 'T-x', v: 3, cursor: 9 });
      assert.deepEqual(await heard, { ws: 'team', ev: { id: 'T-x', v: 3, cursor: 9 } });
    } finally {
      await one.close();
      await two.close();
      await db.newPool(1).query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});

/** True once server `url` reports an open event stream on /metrics. */
async function streamsOpen(url: string): Promise<boolean> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^skein_event_streams (\d+)$/m.exec(text);
  return Number(m?.[1] ?? 0) > 0;
}
