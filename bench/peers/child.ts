/**
 * One measurement of one store, in its own process (so that peak RSS is the store's own and a
 * store that runs past its time cap can be killed): `node --import tsx bench/peers/child.ts PEER
 * PHASE SIZE DIR`. Prints one JSON line per progress step and one `result` line; the parent keeps
 * the last figures a killed child printed.
 *
 * Phases: `appends` (SIZE messages one at a time, each durable: rate, p50, p99, then bytes per
 * message at rest), `length` (fill a thread to SIZE in batches, then time single appends, the
 * newest 50 and a full load), `threads` (SIZE threads of 50 messages, then the newest 50 of
 * threads picked at random).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openPeer, PEERS, type Peer, type PeerName } from './adapters.js';
import { genMessage, genMessages } from './workload.js';
import { rng } from '../fixtures.js';
import { now, stats } from '../helpers.js';

const PAGE = 50;
const [peerName, phase, sizeArg, dir] = process.argv.slice(2) as [PeerName, string, string, string];
if (!PEERS.includes(peerName) || !dir) throw new Error('usage: child.ts PEER appends|length|threads SIZE DIR');
const size = Number(sizeArg);
/** Seconds a fill may take (the parent passes part of its time cap): then the store is measured as far as it got. */
const FILL_S = Number(process.env.SKEIN_PEERS_FILL_S ?? Infinity) * (phase === 'threads' ? 1.5 : 1);

function emit(type: 'progress' | 'result', fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ type, peakRssKB: process.resourceUsage().maxRSS, ...fields }) + '\n');
}

function bytesAtRest(files: string[]): number {
  // Fold the WAL into the main file first, so that every store is measured the same way.
  const main = files[0]!;
  if (existsSync(main)) {
    const db = new Database(main);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  return files.reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

async function appends(peer: Peer): Promise<void> {
  await peer.createThread(0);
  const samples: number[] = [];
  const t0 = now();
  for (let i = 0; i < size; i++) {
    const m = genMessage(0, i);
    const s = now();
    await peer.append(0, m);
    samples.push(now() - s);
    if ((i + 1) % 100 === 0) emit('progress', { done: i + 1, seconds: (now() - t0) / 1000, ...stats(samples) });
  }
  const seconds = (now() - t0) / 1000;
  const synchronous = await peer.synchronous();
  const defaultSynchronous = peer.defaultSynchronous ?? synchronous;
  await peer.close();
  const bytes = bytesAtRest(peer.files());
  emit('result', { done: size, seconds, perSec: size / seconds, ...stats(samples), synchronous, defaultSynchronous, bytes, bytesPerMessage: bytes / size });
}

async function length(peer: Peer): Promise<void> {
  await peer.createThread(0);
  let reached = 0;
  const t0 = now();
  while (reached < size && (now() - t0) / 1000 < FILL_S) {
    const n = Math.min(size - reached, peer.fillBatch?.(reached) ?? 1000);
    await peer.appendMany(0, genMessages(0, reached, n));
    reached += n;
    emit('progress', { reached, fillSeconds: (now() - t0) / 1000 });
  }
  const fillSeconds = (now() - t0) / 1000;
  const appendSamples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const s = now();
    await peer.append(0, genMessage(0, reached + i));
    appendSamples.push(now() - s);
    emit('progress', { reached, fillSeconds, append: stats(appendSamples) });
  }
  const pageSamples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const s = now();
    const page = await peer.newest(0, PAGE);
    pageSamples.push(now() - s);
    if (page.length !== PAGE) throw new Error(`${peer.name} returned ${page.length} messages for the newest ${PAGE}`);
    emit('progress', { reached, fillSeconds, append: stats(appendSamples), newest: stats(pageSamples) });
  }
  const full: number[] = [];
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const s = now();
    count = (await peer.all(0)).length;
    full.push(now() - s);
  }
  if (count !== reached + 30) throw new Error(`${peer.name} loaded ${count} messages, expected ${reached + 30}`);
  await peer.close();
  emit('result', { reached, fillCapped: reached < size, fillSeconds, append: stats(appendSamples), newest: stats(pageSamples), fullLoad: stats(full), messages: count });
}

async function threads(peer: Peer): Promise<void> {
  const t0 = now();
  let filled = 0;
  for (let t = 0; t < size && (now() - t0) / 1000 < FILL_S; t++, filled++) {
    await peer.createThread(t);
    await peer.appendMany(t, genMessages(t, 0, PAGE));
    if ((t + 1) % 200 === 0) emit('progress', { threads: t + 1, fillSeconds: (now() - t0) / 1000 });
  }
  const fillSeconds = (now() - t0) / 1000;
  const rand = rng(42);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = Math.floor(rand() * filled);
    const s = now();
    const page = await peer.newest(t, PAGE);
    samples.push(now() - s);
    if (page.length !== PAGE) throw new Error(`${peer.name} returned ${page.length} messages of thread ${t}`);
  }
  await peer.close();
  emit('result', { threads: filled, fillCapped: filled < size, fillSeconds, newest: stats(samples) });
}

mkdirSync(dir, { recursive: true });
const peer = await openPeer(peerName, dir);
if (phase === 'appends') await appends(peer);
else if (phase === 'length') await length(peer);
else if (phase === 'threads') await threads(peer);
else throw new Error(`unknown phase ${phase}`);
