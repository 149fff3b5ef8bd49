/**
 * Imports a Claude Code folder into a fresh store (memory tier of 2 threads, as `skein import` opens it) and prints `{ peakRss, idleRss, heapAfterGc, ms, messages }`
 * (RSS sampled every 5 ms; idle = after opening the store, before importing).
 * Usage: import-child.ts <storeDir> <folder>
 */
import { importTranscripts, openStore } from '../src/index.js';
import { RssSampler, now } from './helpers.js';

const [dir, folder] = process.argv.slice(2) as [string, string];
const store = await openStore({ dir, cacheSize: Number(process.env.SKEIN_BENCH_CACHE ?? 2) });
const idleRss = process.memoryUsage().rss;
const sampler = new RssSampler(5);
const t0 = now();
const r = await importTranscripts(store, { source: 'claude-code', paths: [folder] });
const ms = now() - t0;
const peakRss = sampler.stop();
(globalThis as { gc?: () => void }).gc?.();
const heapAfterGc = process.memoryUsage().heapUsed;
await store.close();
process.stdout.write(JSON.stringify({ peakRss, idleRss, heapAfterGc, ms, messages: r.messages }) + '\n');
