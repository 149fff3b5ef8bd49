/**
 * Scale-out: 1, 2 and 4 `skein serve --db` processes (each on its own port) on one PostgreSQL
 * schema, 8 device processes spread round-robin across them, each appending and syncing for a
 * fixed time. Reports appends/s and the servers' CPU per append (read from /proc when there is
 * one) per instance count; the 1-instance run is the baseline of the ratio. The schema is made
 * for the run and dropped afterwards. With `SKEIN_BENCH_CPU_PROF=DIR` each server child writes a
 * V8 CPU profile there (`node --cpu-prof`), which is how the push path was profiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ThreadID } from '../src/index.js';
import { openPostgresServerStorage } from '../src/server/postgres-storage.js';
import { progress, scaled, tempDir, type ResultRow } from './helpers.js';
import type { DeviceConfig } from './sync-device.js';
import { PG_URL, dropSchema } from './sync-servers.js';
import { DEVICES, runDevices, summarize, type ThroughputRun } from './sync-throughput.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** One instance count's figures. */
export interface ScaleOutRun extends ThroughputRun {
  instances: number;
  /** All devices in one workspace (so they share its advisory lock), or a workspace each. */
  shared: boolean;
  /** Sessions waiting for an advisory lock (the workspace's turn), averaged over samples every 20 ms. */
  lockWaiters: number;
  /** Share of the samples in which some session waited for one. */
  lockWaitShare: number;
}

/** Samples sessions waiting for the advisory locks named by `keys` (the workspaces' turns) until stopped. */
function sampleLockWaits(pool: pg.Pool, keys: string[]): () => Promise<{ mean: number; share: number }> {
  let samples = 0;
  let waiting = 0;
  let some = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // A bigint advisory key is kept as classid (high 32 bits) and objid (low 32 bits).
      const r = await pool.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
           AND ((classid::bigint << 32) | objid::bigint) IN (SELECT hashtextextended(k, 0) FROM unnest($1::text[]) k)`,
        [keys],
      );
      const n = (r.rows[0] as { n: number }).n;
      samples++;
      waiting += n;
      if (n > 0) some++;
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return { mean: samples ? waiting / samples : 0, share: samples ? some / samples : 0 };
  };
}

/** A `skein serve` child and the URL it printed. */
interface ServeChild {
  proc: ChildProcess;
  url: string;
}

async function startServe(schema: string, profDir: string | undefined): Promise<ServeChild> {
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const proc = spawn(process.execPath, [...prof, '--import', 'tsx', CLI, 'serve', '--db', PG_URL, '--schema', schema, '--port', '0', '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skein serve: no URL within 60 s\n${err}`)), 60_000);
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`skein serve exited (${code}) before listening\n${err}`)));
  });
  return { proc, url };
}

/** User + system CPU of a process so far, in ms (Linux /proc; 0 elsewhere). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function stop(child: ServeChild): Promise<void> {
  if (child.proc.exitCode !== null) return;
  // SIGINT lets the server close and V8 write its profile.
  const exited = new Promise<void>((r) => child.proc.once('exit', () => r()));
  child.proc.kill('SIGINT');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function run(instances: number, ms: number, shared: boolean): Promise<ScaleOutRun> {
  const schema = `skein_bench_scale_${process.pid}_${randomBytes(4).toString('hex')}`;
  const storage = await openPostgresServerStorage({ connectionString: PG_URL, schema });
  const children: ServeChild[] = [];
  try {
    for (let i = 0; i < instances; i++) children.push(await startServe(schema, process.env.SKEIN_BENCH_CPU_PROF));
    const configs: DeviceConfig[] = [];
    const workspace = (i: number) => (shared ? 'team' : `dev${i}`);
    for (let i = 0; i < DEVICES; i++)
      configs.push({ mode: 'skein', url: children[i % instances]!.url, token: await storage.createToken(workspace(i)), dir: tempDir(`scale-${i}`), index: i });
    const before = children.map((c) => cpuMsOf(c.proc.pid));
    const sampler = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const stopSampling = sampleLockWaits(sampler, [...new Set(configs.map((_, i) => `skein:${schema}:${workspace(i)}`))]);
    const { devices } = await runDevices(configs, ms);
    const waits = await stopSampling();
    await sampler.end();
    const serverCpuMs = children.reduce((n, c, i) => n + cpuMsOf(c.proc.pid) - before[i]!, 0);
    for (const [i, d] of devices.entries()) {
      const head = await (await storage.backend(workspace(i))).getHead(d.threadId as ThreadID);
      if (head?.v !== d.appends + 1) throw new Error(`${instances} instances: device ${i} appended ${d.appends}, the server holds v${head?.v}`);
    }
    return { ...summarize('postgres', 'skein', devices, serverCpuMs), instances, shared, lockWaiters: waits.mean, lockWaitShare: waits.share };
  } finally {
    await Promise.all(children.map(stop));
    await storage.close();
    await dropSchema(schema);
  }
}

/** Runs 1, 2 and 4 server instances on one PostgreSQL (left out when SKEIN_PG_URL=skip). */
export async function scaleOutBench(): Promise<{ rows: ResultRow[]; figures: { devices: number; runs: ScaleOutRun[] } }> {
  if (PG_URL === 'skip') return { rows: [], figures: { devices: DEVICES, runs: [] } };
  const ms = scaled(10, 3) * 1000;
  const runs: ScaleOutRun[] = [];
  const rows: ResultRow[] = [];
  // A workspace per device (nothing shared but the database), then all in one workspace (they
  // share its advisory lock: how often anyone waits for it says whether the lock serializes).
  for (const shared of [false, true]) {
    const mine: ScaleOutRun[] = [];
    for (const n of [1, 2, 4]) {
      progress(`scale-out: ${DEVICES} devices ${shared ? 'in one workspace' : 'in a workspace each'} over ${n} skein serve process(es) on one postgres, ${ms / 1000} s`);
      mine.push(await run(n, ms, shared));
    }
    const one = mine[0]!;
    const how = shared ? 'one workspace' : 'a workspace each';
    for (const r of mine)
      rows.push(
        { metric: `appends/s, ${DEVICES} devices (${how}) over ${r.instances} server(s)`, unit: 'msgs/s', skein: r.perSec, baseline: one.perSec, ratio: r.perSec / one.perSec },
        { metric: `servers' CPU per append, ${how}, ${r.instances} server(s)`, unit: 'ms', skein: r.serverCpuMsPerAppend, baseline: one.serverCpuMsPerAppend, ratio: r.serverCpuMsPerAppend / one.serverCpuMsPerAppend },
        { metric: `sessions waiting on the workspace lock, ${how}, ${r.instances} server(s)`, unit: 'mean', skein: r.lockWaiters },
      );
    runs.push(...mine);
  }
  return { rows, figures: { devices: DEVICES, runs } };
}
