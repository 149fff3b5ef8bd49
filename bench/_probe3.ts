import './_probe.js';
import { performance } from 'node:perf_hooks';
import { openStore } from '../src/index.js';
import { messageDeltas } from './fixtures.js';
import { tempDir, removeTempDirs } from './helpers.js';
import { startSkeinServer } from './sync-servers.js';
const server = await startSkeinServer((process.argv[2] as 'sqlite') ?? 'sqlite');
const token = await server.token('p');
const s = await openStore({ dir: tempDir('p3'), remote: { url: server.url, token, autoStart: false } });
const th = await s.createThread({ title: 'x' });
await s.sync.now();
const d = messageDeltas(0, 64);
for (let i = 0; i < 30; i++) { await s.append(th.id, d[i % 64]!); await s.sync.now(); }
(globalThis as any).__probe.reset();
const N = 500; let ta = 0; let ts = 0;
for (let i = 0; i < N; i++) { const t0 = performance.now(); await s.append(th.id, d[i % 64]!); const t1 = performance.now(); await s.sync.now(); ta += t1 - t0; ts += performance.now() - t1; }
console.log({ appendMs: ta / N, syncMs: ts / N });
(globalThis as any).__probe.dump('loop');
await s.close(); await server.close(); removeTempDirs();
