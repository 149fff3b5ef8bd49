/**
 * Devices for sync tests: stores (SQLite in a temp dir, or ':memory:') with the server tier and
 * autoStart off, so that each test decides when a device syncs; `settle` syncs devices until a
 * whole pass moves nothing; `assertConverged` proves every device shows exactly what the server
 * shows (threads, op logs, thread lists); `assertToolPairsAdjacent` checks the call/result rule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenStoreOptions, type Store, type Thread, type ThreadID } from '../../src/index.js';
import type { Op } from '../../src/model/types.js';
import type { SyncResult } from '../../src/index.js';
import { after, before } from 'node:test';
import { api, startServerProcess, type ServerProcess } from './sync-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** One device: a store that syncs with a server. */
export interface Device {
  name: string;
  /** The open store (a new one after `reopen`). */
  store: Store;
  dir: string | undefined;
  /** Closes the store and opens it again on the same directory, as after a restart of the program. */
  reopen(): Promise<void>;
  /** Closes the store and removes its directory. */
  close(): Promise<void>;
}

/** Options of {@link openDevice}. */
export interface DeviceOptions {
  /** `':memory:'` for a throwaway store (default: a temp directory). */
  memory?: boolean;
  /** More `remote` options (backoff, live, ...). */
  remote?: Partial<NonNullable<OpenStoreOptions['remote']>>;
  /** More store options. */
  store?: Partial<OpenStoreOptions>;
}

/** Opens a device on `url` with `token`; short backoff so that tests recover fast. */
export async function openDevice(name: string, url: string, token: string, options: DeviceOptions = {}): Promise<Device> {
  const dir = options.memory ? undefined : mkdtempSync(join(tmpdir(), `skein-${name}-`));
  const open = () =>
    openStore({
      dir: dir ?? ':memory:',
      durability: 'normal',
      ...options.store,
      remote: { url, token, autoStart: false, backoffBaseMs: 20, backoffCapMs: 200, timeoutMs: 10_000, ...options.remote },
    });
  const device: Device = {
    name,
    store: await open(),
    dir,
    async reopen() {
      if (!dir) throw new Error(`${name} is a memory store: it cannot be reopened`);
      await device.store.close();
      device.store = await open();
    },
    async close() {
      await device.store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return device;
}

/** A laptop and a desktop syncing with a real `skein serve` through a TCP proxy (which takes the network down and up). */
export interface TwoDevices {
  server: ServerProcess;
  proxy: TcpProxy;
  token: string;
  laptop: Device;
  desktop: Device;
}

/** Starts {@link TwoDevices} before the tests of the enclosing `describe` and closes everything after them. */
export function useTwoDevices(): TwoDevices {
  const world = {} as TwoDevices;
  let data: string | undefined;
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    world.server = await startServerProcess({ data });
    world.token = await world.server.token('alice');
    world.proxy = await startTcpProxy(world.server.url);
    world.laptop = await openDevice('laptop', world.proxy.url, world.token);
    world.desktop = await openDevice('desktop', world.proxy.url, world.token);
  });
  after(async () => {
    await world.laptop?.close();
    await world.desktop?.close();
    await world.proxy?.close();
    await world.server?.stop();
    if (data) rmSync(data, { recursive: true, force: true });
  });
  return world;
}

function quiet(r: SyncResult): boolean {
  return r.pushed === 0 && r.pulled === 0 && r.conflicts === 0 && r.failed === 0;
}

/**
 * Syncs every device, one after the other, until one whole pass moves nothing and no device has
 * pending threads. Throws (with the last status) when that takes more than `maxPasses`.
 */
export async function settle(devices: readonly Device[], maxPasses = 40): Promise<number> {
  for (let pass = 1; pass <= maxPasses; pass++) {
    let still = false;
    for (const d of devices) {
      const r = await d.store.sync.now();
      if (!quiet(r) || d.store.sync.status().pending > 0) still = true;
    }
    if (!still) return pass;
    // Threads in backoff wait a few ms before the next pass may push them.
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`devices did not settle: ${JSON.stringify(devices.map((d) => ({ name: d.name, status: d.store.sync.status() })))}`);
}

/** A value as it travels as JSON (undefined fields gone), so a local thread compares with the server's. */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every thread id in the server's workspace, via `GET /v1/threads` (all pages). */
export async function serverThreadIds(url: string, token: string): Promise<ThreadID[]> {
  const ids: ThreadID[] = [];
  let cursor: string | undefined;
  do {
    const r = await api(url, token, `/v1/threads?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    const body = r.body as { threads: { id: ThreadID }[]; nextCursor?: string };
    ids.push(...body.threads.map((t) => t.id));
    cursor = body.nextCursor;
  } while (cursor);
  return ids;
}

/** The server's thread (`GET /v1/threads/:id`). */
export async function serverThread(url: string, token: string, id: ThreadID): Promise<Thread> {
  const r = await api(url, token, `/v1/threads/${id}`);
  assert.equal(r.status, 200, `GET /v1/threads/${id}: ${JSON.stringify(r.body)}`);
  return r.body as Thread;
}

/** The server's op log of a thread (`GET /v1/threads/:id?sinceVersion=0`). */
export async function serverOps(url: string, token: string, id: ThreadID): Promise<Op[]> {
  const r = await api(url, token, `/v1/threads/${id}?sinceVersion=0`);
  assert.equal(r.status, 200, `GET /v1/threads/${id}?sinceVersion=0: ${JSON.stringify(r.body)}`);
  return (r.body as { ops: Op[] }).ops;
}

/** Every id in a device's thread list. */
export async function deviceThreadIds(store: Store): Promise<ThreadID[]> {
  const ids: ThreadID[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listThreads({ limit: 1000, ...(cursor && { cursor }) });
    ids.push(...page.threads.map((t) => t.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/**
 * Every device holds exactly the server's threads, each deep-equal to the server's
 * `GET /v1/threads/:id`, with the same op log (same ops, same order). Answers the server's threads.
 */
export async function assertConverged(devices: readonly Device[], url: string, token: string): Promise<Map<ThreadID, Thread>> {
  const ids = (await serverThreadIds(url, token)).sort();
  const threads = new Map<ThreadID, Thread>();
  for (const id of ids) {
    const onServer = await serverThread(url, token, id);
    const log = (await serverOps(url, token, id)).map((o) => o.opId);
    assert.equal(log.length, onServer.v, `server log of ${id} has one op per version`);
    threads.set(id, onServer);
    for (const d of devices) {
      assert.deepEqual(asJson(await d.store.getThread(id)), onServer, `${d.name}: ${id} differs from the server`);
      assert.deepEqual(
        (await d.store.history(id)).map((o) => o.opId),
        log,
        `${d.name}: op log of ${id} differs from the server`,
      );
    }
  }
  for (const d of devices) assert.deepEqual((await deviceThreadIds(d.store)).sort(), ids, `${d.name}: thread list differs from the server`);
  return threads;
}

/**
 * Each message with tool calls is immediately followed by the message that carries their results.
 * With `onlyVisibleResults`, calls whose result is not among the visible messages (not written
 * yet, or hidden by a truncate) are not checked.
 */
export function assertToolPairsAdjacent(thread: Thread, options: { onlyVisibleResults?: boolean } = {}): number {
  const msgs = thread.messages;
  const answeredAnywhere = new Set(msgs.flatMap((m) => m.toolResults?.map((r) => r.toolCallId) ?? []));
  let pairs = 0;
  msgs.forEach((m, i) => {
    for (const c of m.toolCalls ?? []) {
      if (options.onlyVisibleResults && !answeredAnywhere.has(c.id)) continue;
      const next = msgs[i + 1];
      assert.ok(
        next?.toolResults?.some((r) => r.toolCallId === c.id),
        `${thread.id}: tool call ${c.id} at ${i} is followed by ${JSON.stringify(next?.content)} instead of its result`,
      );
      pairs++;
    }
  });
  return pairs;
}
