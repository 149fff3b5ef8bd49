/**
 * One device of the throughput benchmark, run as its own process:
 * `node --import tsx bench/sync-device.ts '<json config>'`. It sets up (a store with the remote,
 * or the raw baseline), prints `{"ready":…}`, waits for a `{"go":{"at","ms"}}` line on stdin,
 * then from `at` for `ms` appends one message to its own thread and syncs it, in a loop, and
 * prints `{"done":…}` with what it did.
 * skein: `store.append` then `store.sync.now()`. raw: an INSERT into a local raw SQLite table
 * (synchronous FULL) then a POST of the message to the naive server's `/append`.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { newThreadId, openStore, type Delta } from '../src/index.js';
import { messageDeltas, RawBaseline } from './fixtures.js';
import { call } from './sync-servers.js';

/** What the parent hands a device. */
export interface DeviceConfig {
  mode: 'skein' | 'raw';
  url: string;
  token?: string;
  dir: string;
  index: number;
}

/** What a device reports. */
export interface DeviceResult {
  threadId: string;
  appends: number;
  pushed: number;
  ms: number;
  /** CPU time this process used in the loop (user + system). */
  cpuMs: number;
  bytes: { sent: number; received: number };
  /** Threads the engine still had unsent at the end (skein). */
  pending: number;
}

const out = (line: unknown) => process.stdout.write(JSON.stringify(line) + '\n');

async function nextLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new Error('stdin closed');
}

async function loop(ms: number, at: number, step: (i: number) => Promise<number>): Promise<{ appends: number; pushed: number; ms: number; cpuMs: number }> {
  await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const end = t0 + ms;
  let appends = 0;
  let pushed = 0;
  while (Date.now() < end) pushed += await step(appends++);
  const cpu = process.cpuUsage(cpu0);
  return { appends, pushed, ms: Date.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as DeviceConfig;
  const deltas: Delta[] = messageDeltas(config.index * 1000, 64);
  const delta = (i: number) => deltas[i % deltas.length]!;
  if (config.mode === 'skein') {
    const store = await openStore({ dir: config.dir, remote: { url: config.url, token: config.token!, autoStart: false } });
    const thread = await store.createThread({ title: `device ${config.index}` });
    await store.sync.now();
    out({ ready: { threadId: thread.id } });
    const go = (JSON.parse(await nextLine()) as { go: { at: number; ms: number } }).go;
    const r = await loop(go.ms, go.at, async (i) => {
      await store.append(thread.id, delta(i));
      return (await store.sync.now()).pushed;
    });
    const result: DeviceResult = { threadId: thread.id, ...r, bytes: store.sync.bytes, pending: store.sync.status().pending };
    await store.close();
    out({ done: result });
  } else {
    const raw = new RawBaseline(join(config.dir, 'raw.db'), 'full');
    const threadId = newThreadId();
    const bytes = { sent: 0, received: 0 };
    out({ ready: { threadId } });
    const go = (JSON.parse(await nextLine()) as { go: { at: number; ms: number } }).go;
    const r = await loop(go.ms, go.at, async (i) => {
      raw.insert(threadId, delta(i));
      await call('POST', `${config.url}/append`, Buffer.from(JSON.stringify({ threadId, delta: delta(i) })), { 'content-type': 'application/json' }, bytes);
      return 1;
    });
    raw.close();
    out({ done: { threadId, ...r, bytes, pending: 0 } satisfies DeviceResult });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
