/**
 * The chaos suite: a seeded model-based test (fast-check commands) over 3 devices and 2 server
 * instances on one PostgreSQL schema. Commands append and sync, kill and restart a server, cut a
 * device's network, copy a store to a new device, and back up and restore a store, while every
 * device's proxy injects random drops, resets and truncations of answers and duplicated requests.
 * At the end every fault is healed: the devices must converge (same threads and op logs as the
 * server, on both instances) and no op the server acknowledged may be lost.
 *
 * Small in `npm test`; `npm run chaos` runs it long (SKEIN_CHAOS_RUNS, SKEIN_CHAOS_STEPS,
 * SKEIN_CHAOS_SEED) and prints faults injected, ops acknowledged, ops lost, time to converge.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PG_SKIPPED } from '../helpers/postgres.js';
import { ChaosWorld, printFigures, type ChaosFigures } from '../helpers/chaos-world.js';
import { seededRandom } from '../helpers/random.js';

const RUNS = Number(process.env.SKEIN_CHAOS_RUNS ?? 1);
const STEPS = Number(process.env.SKEIN_CHAOS_STEPS ?? 30);
const SEED = Number(process.env.SKEIN_CHAOS_SEED ?? 20261130);
const MAX_DEVICES = 5;

interface Model {
  devices: number;
  serverUp: boolean[];
  cut: Set<number>;
  backups: Set<number>;
}
type Cmd = fc.AsyncCommand<Model, ChaosWorld>;

/** A command from a name, a precondition and an action. */
function cmd(name: string, check: (m: Readonly<Model>) => boolean, run: (m: Model, w: ChaosWorld) => Promise<void>): Cmd {
  return {
    check,
    run: async (m, w) => {
      w.trace.push(name);
      await run(m, w);
    },
    toString: () => name,
  };
}

const device = (m: Readonly<Model>, i: number) => i % m.devices;

const append = fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 40 })).map(([d, t, text]) =>
    cmd(`append(${d},${t})`, () => true, async (m, w) => {
      const dev = w.devices[device(m, d)]!;
      const threads = (await dev.store.listThreads({ limit: 50 })).threads.filter((x) => !x.archived);
      if (threads.length === 0 || t % 5 === 0) await dev.store.createThread({ title: `t${t} by ${dev.name}` });
      else {
        const id = threads[t % threads.length]!.id;
        // The thread may exist on the server only (a tiered read): that is fine, or it may be busy.
        await dev.store.append(id, { type: t % 2 ? 'user:message' : 'assistant:message', message: { content: text } }).catch(() => undefined);
      }
    }),
  );
const sync = fc.nat().map((d) => cmd(`sync(${d})`, () => true, async (m, w) => w.sync(w.devices[device(m, d)]!)));

// Writes and syncs are drawn more often than faults, so that a run has something to lose.
const commands = [
  append,
  append,
  append,
  append,
  sync,
  sync,
  sync,
  fc.nat().map((d) => cmd(`sync-all(${d})`, () => true, async (_m, w) => void (await Promise.all(w.devices.map((x) => w.sync(x)))))),
  fc.integer({ min: 0, max: 1 }).map((s) =>
    cmd(`kill-server(${s})`, (m) => m.serverUp[s]!, async (m, w) => {
      await w.servers[s]!.kill('SIGKILL');
      w.count('kill');
      m.serverUp[s] = false;
    }),
  ),
  fc.integer({ min: 0, max: 1 }).map((s) =>
    cmd(`restart-server(${s})`, (m) => !m.serverUp[s], async (m, w) => {
      await w.servers[s]!.restart();
      m.serverUp[s] = true;
    }),
  ),
  fc.nat().map((d) =>
    cmd(`cut-network(${d})`, (m) => !m.cut.has(device(m, d)), async (m, w) => {
      w.devices[device(m, d)]!.proxy.down();
      m.cut.add(device(m, d));
    }),
  ),
  fc.nat().map((d) =>
    cmd(`heal-network(${d})`, (m) => m.cut.has(device(m, d)), async (m, w) => {
      w.devices[device(m, d)]!.proxy.up();
      m.cut.delete(device(m, d));
    }),
  ),
  fc.nat().map((d) =>
    cmd(`copy-store(${d})`, (m) => m.devices < MAX_DEVICES, async (m, w) => {
      const src = w.devices[device(m, d)]!;
      const to = mkdtempSync(join(tmpdir(), 'skein-chaos-copy-'));
      rmSync(to, { recursive: true });
      await w.copyDir(src, to);
      await w.addDevice(to, m.devices % 2);
      w.count('copy');
      m.devices++;
    }),
  ),
  fc.nat().map((d) =>
    cmd(`backup(${d})`, () => true, async (m, w) => {
      const i = device(m, d);
      const to = mkdtempSync(join(tmpdir(), 'skein-chaos-backup-'));
      rmSync(to, { recursive: true });
      const old = w.backups.get(i);
      if (old) rmSync(old, { recursive: true, force: true });
      await w.copyDir(w.devices[i]!, to);
      w.backups.set(i, to);
      m.backups.add(i);
    }),
  ),
  fc.nat().map((d) =>
    cmd(`restore-backup(${d})`, (m) => m.backups.has(device(m, d)), async (m, w) => {
      const i = device(m, d);
      const dev = w.devices[i]!;
      await dev.store.close();
      rmSync(dev.dir!, { recursive: true, force: true });
      cpSync(w.backups.get(i)!, dev.dir!, { recursive: true });
      await dev.reopen();
      w.count('restore');
    }),
  ),
];

describe('chaos: 3 devices, 2 server instances, faults everywhere', { skip: PG_SKIPPED && 'SKEIN_PG_URL=skip' }, () => {
  test(`converges and loses no acknowledged op (seed ${SEED}, ${RUNS} run(s) of up to ${STEPS} steps)`, { timeout: 30 * 60_000 }, async () => {
    const all: ChaosFigures[] = [];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: STEPS, size: 'max' }), fc.integer(), async (cmds, salt) => {
        const random = seededRandom(SEED + salt);
        const world = new ChaosWorld(random);
        try {
          await world.start(3);
          await fc.asyncModelRun(async () => ({ model: { devices: 3, serverUp: [true, true], cut: new Set<number>(), backups: new Set<number>() }, real: world }), cmds);
          if (process.env.SKEIN_CHAOS_TRACE) console.log(world.trace.join(' '));
          const figures = await world.verify();
          all.push(figures);
          printFigures(`run ${++run}`, figures);
          assert.equal(figures.lost, 0, 'no acknowledged op is lost');
        } finally {
          await world.dispose();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (all.length > 1) {
      const faults = new Map<string, number>();
      for (const f of all) for (const [k, n] of f.faults) faults.set(k, (faults.get(k) ?? 0) + n);
      printFigures('total', {
        faults,
        acknowledged: all.reduce((n, f) => n + f.acknowledged, 0),
        lost: all.reduce((n, f) => n + f.lost, 0),
        convergeMs: Math.max(...all.map((f) => f.convergeMs)),
        devices: Math.max(...all.map((f) => f.devices)),
        ops: all.reduce((n, f) => n + f.ops, 0),
        steps: all.reduce((n, f) => n + f.steps, 0),
      });
    }
  });
});
