/**
 * The server outlives its database connections: two `skein serve --db` processes on one schema,
 * devices writing and syncing through them, and `pg_terminate_backend` of every connection the
 * servers hold (pool and LISTEN), several times, under load. No process may exit; requests in
 * flight may get 503 with Retry-After (never another 5xx); afterwards every acknowledged op is on
 * the server, devices converge, the LISTEN connection is back (`/healthz`, `/metrics`) and a
 * poke again travels from one instance to the other.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ThreadID } from '../../src/index.js';
import { createTestSchema, PG_SKIPPED, PG_URL, type TestSchema } from '../helpers/postgres.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { assertConverged, openDevice, serverOps, settle, type Device } from '../helpers/sync-devices.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The connection string with an application_name, so the test terminates only these servers' connections. */
function tagged(app: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set('application_name', app);
  return u.toString();
}

/** Terminates every connection of `app`; answers how many. */
async function terminate(admin: pg.Pool, app: string): Promise<number> {
  const r = await admin.query('SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [app]);
  return r.rowCount ?? 0;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const r = await fetch(new URL('/metrics', url));
  const line = (await r.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** Resolves with the first poke on `url`'s event stream after it opened; rejects after `ms`. */
async function nextPoke(url: string, token: string, ms: number, opened: () => void): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const res = await fetch(new URL('/v1/events', url), { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    let buf = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk);
      if (buf.includes(': connected')) opened();
      const m = /event: poke\ndata: (.*)\n/.exec(buf);
      if (m) return m[1]!;
    }
    throw new Error('the event stream ended without a poke');
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

describe('PostgreSQL connections dropped under load', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, () => {
  const app = `skein-faults-${randomBytes(4).toString('hex')}`;
  let db: TestSchema;
  let admin: pg.Pool;
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;
  const devices: Device[] = [];

  before(async () => {
    db = await createTestSchema();
    admin = db.newPool(1);
    a = await startServerProcess({ db: tagged(app), schema: db.schema });
    b = await startServerProcess({ db: tagged(app), schema: db.schema });
    token = await a.token('team');
  });
  after(async () => {
    for (const d of devices) await d.close();
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('both servers keep serving through repeated pg_terminate_backend; no acknowledged op is lost', async () => {
    for (let i = 0; i < 3; i++) devices.push(await openDevice(`pgf${i}`, i % 2 === 0 ? a.url : b.url, token, { memory: true }));
    const threads = new Map<Device, ThreadID>();
    for (const d of devices) threads.set(d, (await d.store.createThread({ title: d.name })).id);

    const statuses: { status: number; retryAfter: string | null }[] = [];
    let stop = false;
    let written = 0;
    const writers = devices.map(async (d) => {
      for (let n = 0; !stop; n++) {
        await d.store.append(threads.get(d)!, { type: 'user:message', message: { content: `${d.name} #${n}` } });
        written++;
        await d.store.sync.now().catch(() => undefined);
      }
    });
    const readers = [a, b].map(async (s) => {
      while (!stop) {
        const r = await fetch(new URL('/v1/sync/pull?cursor=0&limit=50', s.url), { headers: { authorization: `Bearer ${token}` } });
        await r.arrayBuffer();
        statuses.push({ status: r.status, retryAfter: r.headers.get('retry-after') });
      }
    });

    let terminated = 0;
    try {
      for (let round = 0; round < 4; round++) {
        await sleep(400);
        terminated += await terminate(admin, app);
      }
      await sleep(400);
    } finally {
      stop = true;
      const ended = await Promise.allSettled([...writers, ...readers]);
      for (const e of ended) if (e.status === 'rejected') assert.fail(`a load loop failed: ${String(e.reason)}; stderr A:\n${a.stderr()}`);
    }

    assert.ok(terminated >= 4, `connections were terminated (${terminated})`);
    assert.equal(a.proc.exitCode, null, `server A is alive; stderr:\n${a.stderr()}`);
    assert.equal(b.proc.exitCode, null, `server B is alive; stderr:\n${b.stderr()}`);
    assert.ok(written > 6, `the devices kept writing (${written} appends)`);
    const bad = statuses.filter((s) => s.status !== 200 && !(s.status === 503 && s.retryAfter !== null));
    assert.deepEqual(bad, [], 'every answer is 200, or 503 with Retry-After');
    assert.ok(
      statuses.slice(-5).every((s) => s.status === 200 || s.status === 503),
      'the last reads are answered',
    );

    await settle(devices, 80);
    await assertConverged(devices, a.url, token);
    for (const d of devices) {
      const local = (await d.store.getThread(threads.get(d)!))!;
      const onServer = await serverOps(b.url, token, threads.get(d)!);
      assert.equal(onServer.length, local.v, `${d.name}: every op it wrote is on the server`);
    }
    assert.doesNotMatch(a.stderr() + b.stderr(), /Unhandled|uncaught|TypeError/i);
  });

  test('the LISTEN connection comes back: healthz and metrics say so, and pokes cross instances again', async () => {
    const before = (await metric(a.url, 'skein_live_reconnects_total')) ?? 0;
    assert.ok(before >= 1, `server A re-established LISTEN after the earlier drops (${before})`);
    // Drop them again, then wait until both report listening.
    await terminate(admin, app);
    for (let i = 0; ; i++) {
      const [ha, hb] = await Promise.all([api(a.url, undefined, '/healthz'), api(b.url, undefined, '/healthz')]);
      const live = (h: typeof ha) => (h.body as { live?: { state: string } }).live?.state;
      if (ha.status === 200 && hb.status === 200 && live(ha) === 'listening' && live(hb) === 'listening') break;
      if (i > 200) assert.fail(`LISTEN did not come back: ${JSON.stringify([ha, hb])}`);
      await sleep(50);
    }
    assert.ok(((await metric(a.url, 'skein_live_reconnects_total')) ?? 0) > before);
    assert.equal(await metric(a.url, 'skein_live_listening'), 1);

    // A write through B pokes a stream on A.
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => (opened = r));
    const poke = nextPoke(a.url, token, 15_000, () => opened());
    await isOpen;
    const d = devices[1]!; // on B
    const t = await d.store.createThread({ title: 'after the drop' });
    await d.store.sync.now();
    assert.match(await poke, new RegExp(t.id));
  });

  test('while the database refuses connections, healthz answers 503 and the process stays up', async () => {
    // Many terminations in a row: some requests meet a connection being torn down.
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      await terminate(admin, app);
      const h = await api(a.url, undefined, '/healthz');
      answers.push(h.status);
      assert.ok(h.status === 200 || h.status === 503, `healthz ${h.status}`);
    }
    assert.equal(a.proc.exitCode, null);
    for (let i = 0; ; i++) {
      if ((await api(a.url, undefined, '/healthz')).status === 200) break;
      if (i > 200) assert.fail('healthz never came back to 200');
      await sleep(50);
    }
  });
});
