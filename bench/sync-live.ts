/**
 * Live latency: device B follows the server's event stream (`live: true`) and holds the writer of
 * a thread with an `observe` listener; device A appends a message and calls `sync.now()`. The
 * latency of an edit runs from A's push (`sync.now()` called) to B's listener seeing the message
 * with that id; edits go one at a time. Baseline: the bare transport, a POST to a loopback server
 * that writes the body to an open SSE stream the other side reads.
 */
import { request } from 'node:http';
import { openStore, type Thread } from '../src/index.js';
import { messageDeltas } from './fixtures.js';
import { now, percentile, progress, scaled, tempDir, type ResultRow } from './helpers.js';
import { call, startNaiveServer, startSkeinServer } from './sync-servers.js';

const TARGET_P50_MS = 50;
const WARMUP = 20;
const EDIT_TIMEOUT_MS = 10_000;

/** Figures of the live run, in ms. */
export interface LiveFigures {
  edits: number;
  missed: number;
  skein: { p50: number; p99: number; mean: number; max: number };
  /** From before A's local append (so including its durable commit) to B's listener. */
  skeinWithAppend: { p50: number; p99: number };
  baseline: { p50: number; p99: number; mean: number; max: number };
}

function summary(samples: number[]) {
  const s = [...samples].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((x, y) => x + y, 0) / Math.max(1, s.length), max: s.at(-1) ?? NaN };
}

/** Resolves `arrived(key)` when `key` shows up, or after the timeout with false. */
class Arrivals {
  private readonly waiting = new Map<string, (ok: boolean) => void>();
  readonly at = new Map<string, number>();

  arrive(key: string, t: number): void {
    if (this.at.has(key)) return;
    this.at.set(key, t);
    this.waiting.get(key)?.(true);
  }

  arrived(key: string): Promise<boolean> {
    if (this.at.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), EDIT_TIMEOUT_MS);
      this.waiting.set(key, (ok) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(ok);
      });
    });
  }
}

async function skeinLatency(edits: number): Promise<{ push: number[]; withAppend: number[]; missed: number }> {
  const server = await startSkeinServer('sqlite');
  const token = await server.token('live');
  const remote = { url: server.url, token, autoStart: false };
  const a = await openStore({ dir: tempDir('live-a'), remote });
  const b = await openStore({ dir: tempDir('live-b'), remote: { ...remote, live: true } });
  try {
    const thread = await a.createThread({ title: 'live latency' });
    await a.sync.now();
    await b.sync.now();
    const writer = await b.acquireWriter(thread.id);
    const arrivals = new Arrivals();
    writer.observe((t: Thread) => {
      const t1 = now();
      for (const m of t.messages.slice(-3)) arrivals.arrive(m.id, t1);
    });
    b.sync.start({ live: true });
    const deltas = messageDeltas(0, 64);
    const push: number[] = [];
    const withAppend: number[] = [];
    let missed = 0;
    for (let i = 0; i < WARMUP + edits; i++) {
      const t0 = now();
      const after = await a.append(thread.id, deltas[i % deltas.length]!);
      const op = after.ops[0]!;
      const id = 'message' in op ? op.message.id : '';
      const tPush = now();
      const synced = a.sync.now();
      const ok = await arrivals.arrived(id);
      await synced;
      if (i < WARMUP) continue;
      if (!ok) missed++;
      else {
        push.push(arrivals.at.get(id)! - tPush);
        withAppend.push(arrivals.at.get(id)! - t0);
      }
    }
    await writer.dispose();
    return { push, withAppend, missed };
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
}

async function relayLatency(edits: number): Promise<number[]> {
  const server = await startNaiveServer();
  const arrivals = new Arrivals();
  const abort = new AbortController();
  await new Promise<void>((resolve, reject) => {
    const req = request(`${server.url}/events`, { signal: abort.signal }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const t1 = now();
        buf += chunk;
        for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) {
          const line = buf.slice(0, i);
          if (line.startsWith('data: ')) arrivals.arrive(line.slice(6), t1);
        }
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', (err) => (abort.signal.aborted ? undefined : reject(err)));
    req.end();
  });
  const bytes = { sent: 0, received: 0 };
  const out: number[] = [];
  try {
    for (let i = 0; i < WARMUP + edits; i++) {
      const key = `edit-${i}`;
      const t0 = now();
      await call('POST', `${server.url}/poke`, Buffer.from(key), { 'content-type': 'text/plain' }, bytes);
      if (!(await arrivals.arrived(key))) throw new Error(`relay: ${key} never arrived`);
      if (i >= WARMUP) out.push(arrivals.at.get(key)! - t0);
    }
  } finally {
    abort.abort();
    await server.close();
  }
  return out;
}

/** Runs the live latency benchmark. */
export async function liveBench(): Promise<{ rows: ResultRow[]; figures: LiveFigures }> {
  const edits = scaled(1000, 50);
  progress(`live: ${edits} edits from device A to device B's observe`);
  const s = await skeinLatency(edits);
  progress(`live: ${edits} pokes through a bare SSE relay`);
  const base = await relayLatency(edits);
  const figures: LiveFigures = {
    edits,
    missed: s.missed,
    skein: summary(s.push),
    skeinWithAppend: (({ p50, p99 }) => ({ p50, p99 }))(summary(s.withAppend)),
    baseline: summary(base),
  };
  const rows: ResultRow[] = [
    {
      metric: 'live push -> observe, p50',
      unit: 'ms',
      skein: figures.skein.p50,
      baseline: figures.baseline.p50,
      ratio: figures.skein.p50 / figures.baseline.p50,
      target: `< ${TARGET_P50_MS}`,
      pass: figures.skein.p50 < TARGET_P50_MS && s.missed === 0,
    },
    { metric: 'live push -> observe, p99', unit: 'ms', skein: figures.skein.p99, baseline: figures.baseline.p99, ratio: figures.skein.p99 / figures.baseline.p99 },
  ];
  return { rows, figures };
}
