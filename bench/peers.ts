/**
 * `npm run bench:peers`: one generated conversation (roles alternating, ~500 B of text, a tool call
 * and usage on every assistant message, seeded) through skein, a raw better-sqlite3 floor, Mastra's
 * LibSQL memory and LangGraph's SQLite checkpointer. Each measurement runs in its own child process
 * with a time cap: a fill stops at half the cap and the store is measured as far as it got; a child
 * past its cap is killed and its last printed figures are kept; both are marked as capped. Writes bench/results/peers.json, docs/benchmarks.md and docs/benchmarks-peers.svg.
 *
 * Env: `SKEIN_PEERS_SIZES` (thread lengths, default 1000,10000,100000), `SKEIN_PEERS_APPENDS`
 * (durable appends, default 1000), `SKEIN_PEERS_THREADS` (default 2000), `SKEIN_PEERS_CAP_S` (per
 * child, default 60), `SKEIN_PEERS_ONLY` (comma-separated: skein,raw,mastra,langgraph).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PEERS, type PeerName } from './peers/adapters.js';
import { renderMarkdown, renderSvg, type Job, type PeerReport } from './peers/report.js';
import { progress, removeTempDirs, saveResults, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./peers/child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const out = raw.split(',').map(Number);
  if (out.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`${name} must be positive integers, comma-separated`);
  return out;
}

const SIZES = envList('SKEIN_PEERS_SIZES', [1_000, 10_000, 100_000]);
const [APPENDS] = envList('SKEIN_PEERS_APPENDS', [1_000]) as [number];
const [THREADS] = envList('SKEIN_PEERS_THREADS', [2_000]) as [number];
const [CAP_S] = envList('SKEIN_PEERS_CAP_S', [60]) as [number];
const ONLY = (process.env.SKEIN_PEERS_ONLY ?? PEERS.join(',')).split(',') as PeerName[];
for (const p of ONLY) if (!PEERS.includes(p)) throw new Error(`SKEIN_PEERS_ONLY: unknown store ${p} (known: ${PEERS.join(', ')})`);

/** Runs one child; resolves with its last result, or its last progress when capped or failed. */
function runChild(peer: PeerName, phase: string, size: number): Promise<Job> {
  const dir = tempDir(`peer-${peer}-${phase}-${size}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const env = { ...process.env, SKEIN_PEERS_FILL_S: String(CAP_S / 2) };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, peer, phase, String(size), dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let last: Record<string, unknown> | undefined;
    let result: Record<string, unknown> | undefined;
    let buf = '';
    let err = '';
    let capped = false;
    const timer = setTimeout(() => {
      capped = true;
      child.kill('SIGKILL');
    }, CAP_S * 1000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const msg = JSON.parse(line) as Record<string, unknown>;
          if (msg.type === 'result') result = msg;
          last = msg;
        } catch {
          // not one of ours (a peer's own logging)
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      const error = !result && !capped ? (err.split('\n').find((l) => /Error/.test(l)) ?? `exit ${code}`).trim() : undefined;
      const figures = result ?? last;
      resolve({ peer, phase, size, seconds, capped: capped || figures?.fillCapped === true, capSeconds: CAP_S, ...(error && { error }), ...(figures && { figures }) });
    });
  });
}

async function main(): Promise<void> {
  console.log(`peers: ${ONLY.join(', ')}; thread lengths ${SIZES.join(', ')}; ${APPENDS} durable appends; ${THREADS} threads; cap ${CAP_S} s per child`);
  const reports: PeerReport[] = [];
  try {
    for (const peer of ONLY) {
      const jobs: Job[] = [];
      const plan: [string, number][] = [['appends', APPENDS], ...SIZES.map((s) => ['length', s] as [string, number]), ['threads', THREADS]];
      for (const [phase, size] of plan) {
        progress(`${peer}: ${phase} ${size}`);
        const job = await runChild(peer, phase, size);
        progress(`  ${job.capped ? `capped at ${CAP_S} s` : job.error ? `failed: ${job.error}` : `done in ${job.seconds.toFixed(1)} s`}`);
        jobs.push(job);
      }
      reports.push({ peer, jobs });
    }
  } finally {
    removeTempDirs();
  }
  const config = { sizes: SIZES, appends: APPENDS, threads: THREADS, capSeconds: CAP_S };
  const saved = saveResults('peers.json', { config, reports });
  const md = renderMarkdown(reports, config);
  writeFileSync(fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)), md);
  writeFileSync(fileURLToPath(new URL('../docs/benchmarks-peers.svg', import.meta.url)), renderSvg(reports));
  console.log(md);
  console.log(`saved ${saved}, docs/benchmarks.md and docs/benchmarks-peers.svg`);
}

await main();
