/**
 * Sync transfer: one device pushes T threads x 100 messages (`store.sync.now()`), a fresh device
 * pulls them, then 1 message is appended to each of 100 threads and both sync again. Measured in
 * time and body bytes on the wire (`store.sync.bytes`), against the naive way: PUT each whole
 * thread as one gzipped JSON document to a loopback server that keeps it in a Map, and GET it back
 * on the other device, storing its messages in a raw SQLite table (synchronous FULL, like skein).
 * Beside wall time, the process's CPU time of each phase (both ends and the thread pool: the
 * servers run in this process), which a machine shared with other work disturbs far less.
 */
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openStore, type Store, type ThreadID } from '../src/index.js';
import { messageDeltas, RawBaseline } from './fixtures.js';
import { mib, now, progress, scaled, tempDir, type ResultRow } from './helpers.js';
import { call, startNaiveServer, startSkeinServer, type NaiveServer, type WireBytes } from './sync-servers.js';

const MESSAGES = 100;
/** Incremental bytes per thread must stay under the 2 KB per append, each way. */
const INCREMENTAL_LIMIT = 2048;

/** Figures of one transfer run. */
export interface TransferFigures {
  threads: number;
  messagesPerThread: number;
  incrementalThreads: number;
  skein: Record<string, { ms: number; cpuMs: number; sent: number; received: number }>;
  naive: Record<string, { ms: number; cpuMs: number; sent: number; received: number; jsonBytes: number }>;
}

const diff = (a: WireBytes, b: WireBytes) => ({ sent: a.sent - b.sent, received: a.received - b.received });

/** CPU time of this whole process (every thread) since `start`, in ms. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

async function timedSync(store: Store): Promise<{ ms: number; cpuMs: number; sent: number; received: number }> {
  const before = store.sync.bytes;
  const c0 = process.cpuUsage();
  const t0 = now();
  const r = await store.sync.now();
  const ms = now() - t0;
  const cpuMs = cpuSince(c0);
  if (r.failed > 0) throw new Error(`sync failed for ${r.failed} thread(s): ${store.sync.status().lastError ?? ''}`);
  return { ms, cpuMs, ...diff(store.sync.bytes, before) };
}

async function wholeDocs(store: Store, ids: ThreadID[]): Promise<Map<ThreadID, Buffer>> {
  const docs = new Map<ThreadID, Buffer>();
  for (const id of ids) docs.set(id, Buffer.from(JSON.stringify(await store.getThread(id))));
  return docs;
}

/** PUTs each document gzipped, one request each, in order. */
async function naiveUpload(server: NaiveServer, docs: Map<ThreadID, Buffer>) {
  const bytes: WireBytes = { sent: 0, received: 0 };
  let jsonBytes = 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  for (const [id, json] of docs) {
    jsonBytes += json.length;
    await call('PUT', `${server.url}/doc/${id}`, gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, bytes);
  }
  return { ms: now() - t0, cpuMs: cpuSince(c0), ...bytes, jsonBytes };
}

/** GETs each document, gunzips and parses it, and replaces the thread's rows in the raw table in one transaction. */
async function naiveDownload(server: NaiveServer, ids: ThreadID[], raw: RawBaseline) {
  const bytes: WireBytes = { sent: 0, received: 0 };
  const del = raw.db.prepare('DELETE FROM msgs WHERE thread_id = ?');
  const ins = raw.db.prepare('INSERT INTO msgs (thread_id, json) VALUES (?, ?)');
  const replace = raw.db.transaction((id: string, messages: unknown[]) => {
    del.run(id);
    for (const m of messages) ins.run(id, JSON.stringify(m));
  });
  let jsonBytes = 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  for (const id of ids) {
    const res = await call('GET', `${server.url}/doc/${id}`, undefined, { 'accept-encoding': 'gzip' }, bytes);
    const json = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body) : res.body;
    jsonBytes += json.length;
    replace(id, (JSON.parse(json.toString('utf8')) as { messages: unknown[] }).messages);
  }
  return { ms: now() - t0, cpuMs: cpuSince(c0), ...bytes, jsonBytes };
}

async function checkReplica(store: Store, ids: ThreadID[], messages: (i: number) => number): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const info = await store.info(id);
    if (info?.messageCount !== messages(i)) throw new Error(`replica: thread ${id} has ${info?.messageCount} messages, expected ${messages(i)}`);
  }
}

/** Runs the transfer benchmark on an SQLite-backed skein server. */
export async function transferBench(): Promise<{ rows: ResultRow[]; figures: TransferFigures }> {
  const threads = scaled(1000);
  const incremental = Math.min(threads, scaled(100));
  const server = await startSkeinServer('sqlite');
  const naive = await startNaiveServer();
  const token = await server.token('bench');
  const remote = { url: server.url, token, autoStart: false };
  const a = await openStore({ dir: tempDir('sync-a'), remote });
  const b = await openStore({ dir: tempDir('sync-b'), remote });
  const raw = new RawBaseline(join(tempDir('sync-naive-b'), 'raw.db'), 'full');
  const figures: TransferFigures = { threads, messagesPerThread: MESSAGES, incrementalThreads: incremental, skein: {}, naive: {} };
  try {
    progress(`writing ${threads} threads x ${MESSAGES} messages on device A`);
    const ids: ThreadID[] = [];
    for (let t = 0; t < threads; t++) {
      const th = await a.createThread({ title: `thread ${t}` });
      await a.append(th.id, messageDeltas(t * MESSAGES, MESSAGES));
      ids.push(th.id);
    }
    const docs = await wholeDocs(a, ids);

    progress('full: skein push, then pull on a fresh device');
    figures.skein.push = await timedSync(a);
    figures.skein.pull = await timedSync(b);
    await checkReplica(b, ids, () => MESSAGES);
    progress('full: naive upload of whole threads, then download');
    figures.naive.push = await naiveUpload(naive, docs);
    figures.naive.pull = await naiveDownload(naive, ids, raw);

    progress(`incremental: 1 message appended to each of ${incremental} threads`);
    const touched = ids.slice(0, incremental);
    for (const [t, id] of touched.entries()) await a.append(id, messageDeltas(10_000_000 + t, 1));
    figures.skein.incPush = await timedSync(a);
    figures.skein.incPull = await timedSync(b);
    await checkReplica(b, touched, () => MESSAGES + 1);
    figures.naive.incPush = await naiveUpload(naive, await wholeDocs(a, touched));
    figures.naive.incPull = await naiveDownload(naive, touched, raw);
  } finally {
    raw.close();
    await a.close();
    await b.close();
    await naive.close();
    await server.close();
  }

  const s = figures.skein;
  const n = figures.naive;
  const total = (x: { sent: number; received: number }) => x.sent + x.received;
  // Issue 9: push and fresh pull within 1.5x of the naive gzipped upload/download in time, 1.1x in bytes.
  const within = (max: number) => ({ max, target: `<= ${max}x` });
  const rows: ResultRow[] = [
    { metric: `push ${threads}x${MESSAGES}: time`, unit: 's', skein: s.push!.ms / 1000, baseline: n.push!.ms / 1000, ...within(1.5) },
    { metric: `push ${threads}x${MESSAGES}: CPU time, both ends`, unit: 's', skein: s.push!.cpuMs / 1000, baseline: n.push!.cpuMs / 1000 },
    { metric: `push ${threads}x${MESSAGES}: bytes both ways`, unit: 'MiB', skein: mib(total(s.push!)), baseline: mib(total(n.push!)), ...within(1.1) },
    { metric: `pull ${threads}x${MESSAGES} on a fresh device: time`, unit: 's', skein: s.pull!.ms / 1000, baseline: n.pull!.ms / 1000, ...within(1.5) },
    { metric: `pull ${threads}x${MESSAGES}: CPU time, both ends`, unit: 's', skein: s.pull!.cpuMs / 1000, baseline: n.pull!.cpuMs / 1000 },
    { metric: `pull ${threads}x${MESSAGES}: bytes both ways`, unit: 'MiB', skein: mib(total(s.pull!)), baseline: mib(total(n.pull!)), ...within(1.1) },
    { metric: `+1 msg on ${incremental} threads, push: time`, unit: 'ms', skein: s.incPush!.ms, baseline: n.incPush!.ms },
    { metric: `+1 msg on ${incremental} threads, push: bytes both ways`, unit: 'KiB', skein: total(s.incPush!) / 1024, baseline: total(n.incPush!) / 1024 },
    { metric: `+1 msg on ${incremental} threads, pull: bytes both ways`, unit: 'KiB', skein: total(s.incPull!) / 1024, baseline: total(n.incPull!) / 1024 },
  ].map(({ max, ...r }: ResultRow & { baseline: number; max?: number }) => ({
    ...r,
    ratio: r.skein / r.baseline,
    ...(max !== undefined && { pass: r.skein / r.baseline <= max }),
  }));
  for (const [label, x] of [
    ['push', s.incPush!],
    ['pull', s.incPull!],
  ] as const) {
    const perThread = Math.max(x.sent, x.received) / incremental;
    rows.push({ metric: `+1 msg, ${label}: bytes per thread, worse way`, unit: 'B', skein: perThread, target: `< ${INCREMENTAL_LIMIT}`, pass: perThread < INCREMENTAL_LIMIT });
  }
  return { rows, figures };
}
