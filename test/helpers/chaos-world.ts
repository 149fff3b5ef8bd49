/**
 * The world of the chaos test: two `skein serve --db` instances on one PostgreSQL schema, devices
 * (stores in temp directories) that each reach one instance through a fault-injecting TCP proxy,
 * backups of device stores, and the set of ops the server acknowledged. `heal()` ends every fault
 * and `verify()` settles the devices and checks convergence and that no acknowledged op is lost.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openStore, type ThreadID } from '../../src/index.js';
import { createTestSchema, PG_URL, type TestSchema } from './postgres.js';
import { startServerProcess, type ServerProcess } from './sync-server.js';
import { assertConverged, serverOps, serverThreadIds, settle, type Device } from './sync-devices.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** A device with the proxy it reaches its server through. */
export interface ChaosDevice extends Device {
  proxy: TcpProxy;
  server: number;
}

/** What a chaos run measured. */
export interface ChaosFigures {
  faults: Map<string, number>;
  acknowledged: number;
  lost: number;
  convergeMs: number;
  devices: number;
  ops: number;
  steps: number;
}

/** See the module comment. */
export class ChaosWorld {
  readonly servers: ServerProcess[] = [];
  readonly devices: ChaosDevice[] = [];
  readonly backups = new Map<number, string>();
  /** opIds the server acknowledged to some device. */
  readonly acknowledged = new Set<string>();
  /** Faults injected outside the proxies (kills, copies, restores). */
  readonly faults = new Map<string, number>();
  /** The commands run, in order. */
  readonly trace: string[] = [];
  token = '';
  private db!: TestSchema;
  private readonly dirs: string[] = [];

  constructor(private readonly random: () => number) {}

  count(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  async start(devices: number): Promise<void> {
    this.db = await createTestSchema();
    for (let i = 0; i < 2; i++) this.servers.push(await startServerProcess({ db: PG_URL, schema: this.db.schema }));
    this.token = await this.servers[0]!.token('chaos');
    for (let i = 0; i < devices; i++) await this.addDevice(mkdtempSync(join(tmpdir(), 'skein-chaos-')), i % 2);
  }

  /** Opens a device on `dir`, reaching server `server` through a new proxy with chaos on. */
  async addDevice(dir: string, server: number): Promise<ChaosDevice> {
    this.dirs.push(dir);
    const proxy = await startTcpProxy(this.servers[server]!.url, this.random);
    proxy.chaos({ random: this.random, drop: 0.05, reset: 0.05, truncate: 0.05, duplicate: 0.05 });
    const open = () =>
      openStore({ dir, durability: 'normal', remote: { url: proxy.url, token: this.token, autoStart: false, backoffBaseMs: 5, backoffCapMs: 50, timeoutMs: 5000 } });
    const d: ChaosDevice = {
      name: `d${this.devices.length}`,
      dir,
      proxy,
      server,
      store: await open(),
      async reopen() {
        await d.store.close();
        d.store = await open();
      },
      async close() {
        await d.store.close();
      },
    };
    this.devices.push(d);
    return d;
  }

  /**
   * One sync round of a device. Afterwards every local op at or below its thread's `syncedV` (the
   * version the device and the server agreed on, read from the device's sync state) is
   * acknowledged: the server said it has it.
   */
  async sync(d: ChaosDevice): Promise<void> {
    await d.store.sync.now().catch(() => undefined);
    for (const op of await agreedOps(d)) this.acknowledged.add(op);
  }

  /** Copies a device's store directory (closed meanwhile) to `to`. */
  async copyDir(d: ChaosDevice, to: string): Promise<void> {
    await d.store.close();
    cpSync(d.dir!, to, { recursive: true });
    await d.reopen();
  }

  /** Turns every fault off, brings both servers back, settles, and checks; answers the figures. */
  async verify(): Promise<ChaosFigures> {
    const started = Date.now();
    for (const s of this.servers) if (s.proc.exitCode !== null || s.proc.signalCode !== null) await s.restart();
    for (const d of this.devices) {
      d.proxy.chaos(undefined);
      d.proxy.up();
    }
    await settle(this.devices, 400);
    const convergeMs = Date.now() - started;
    for (const d of this.devices) assert.deepEqual(d.store.sync.status().poisoned, [], `${d.name}: nothing set aside`);
    await assertConverged(this.devices, this.servers[0]!.url, this.token);
    const ids = (await serverThreadIds(this.servers[0]!.url, this.token)).sort();
    assert.deepEqual((await serverThreadIds(this.servers[1]!.url, this.token)).sort(), ids, 'both instances show the same threads');
    const onServer = new Set<string>();
    for (const id of ids) for (const op of await serverOps(this.servers[1]!.url, this.token, id as ThreadID)) onServer.add(op.opId);
    const lost = [...this.acknowledged].filter((op) => !onServer.has(op)).length;
    const faults = new Map(this.faults);
    for (const d of this.devices) for (const [k, n] of d.proxy.faults) faults.set(k, (faults.get(k) ?? 0) + n);
    return { faults, acknowledged: this.acknowledged.size, lost, convergeMs, devices: this.devices.length, ops: onServer.size, steps: this.trace.length };
  }

  async dispose(): Promise<void> {
    for (const d of this.devices) {
      await d.store.close().catch(() => undefined);
      await d.proxy.close();
    }
    for (const s of this.servers) await s.stop();
    await this.db?.drop();
    for (const dir of [...this.dirs, ...this.backups.values()]) rmSync(dir, { recursive: true, force: true });
  }
}

/** The opIds of a device's local ops at or below their thread's `syncedV`. */
async function agreedOps(d: Device): Promise<string[]> {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string, o: object) => {
    prepare(s: string): { all(): unknown[] };
    close(): void;
  };
  let rows: { id: ThreadID; synced_v: number }[];
  try {
    const db = new Database(join(d.dir!, 'sync.db'), { readonly: true, fileMustExist: true });
    try {
      rows = db.prepare('SELECT id, synced_v FROM threads WHERE synced_v > 0').all() as typeof rows;
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const r of rows) for (const op of await d.store.history(r.id, { fromVersion: 0, toVersion: r.synced_v })) out.push(op.opId);
  return out;
}

/** Prints the figures of a run. */
export function printFigures(label: string, f: ChaosFigures): void {
  const total = [...f.faults.values()].reduce((a, b) => a + b, 0);
  const kinds = [...f.faults].map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(
    `chaos ${label}: faults injected ${total} (${kinds}); ops acknowledged ${f.acknowledged}; ops lost ${f.lost}; ` +
      `time to converge ${f.convergeMs} ms; steps ${f.steps}; devices ${f.devices}; ops on the server ${f.ops}`,
  );
}
