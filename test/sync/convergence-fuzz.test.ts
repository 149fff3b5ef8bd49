/**
 * Convergence fuzz: five devices (three on disk, two in memory), each behind its own misbehaving
 * proxy, make random changes to shared threads (appends, tool calls and later their results,
 * titles, meta keys, truncates, new threads) while syncing at random moments without waiting,
 * going offline, coming back, having answers delayed or lost, and (on disk) restarting. Then quiet: every device equals the
 * server, nothing written is lost or doubled, tool calls sit next to their results, and the last
 * title and meta writes win.
 *
 * Seeded: the seed is printed (and part of the test name); SKEIN_FUZZ_SEED=N repeats the same
 * sequence of changes and network events (the interleaving with real I/O may still differ),
 * SKEIN_FUZZ_OPS=N changes the number of changes (default 2000; `npm run fuzz` runs more).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delta, ThreadID } from '../../src/index.js';
import { compareStamps } from '../../src/model/apply.js';
import type { Op, Stamp } from '../../src/model/types.js';
import { seededRandom } from '../helpers/store-fixtures.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { assertConverged, assertToolPairsAdjacent, openDevice, serverOps, settle, type Device } from '../helpers/sync-devices.js';

const SEED = Number(process.env.SKEIN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPS = Number(process.env.SKEIN_FUZZ_OPS ?? 2000);
const DEVICES = 5;
const META_KEYS = ['branch', 'model', 'status'];

/** The value the last writer gave a scalar, by DESIGN rule 5: the largest (hlc, clientId, opId) wins. */
function lastWrite(ops: Op[], pick: (op: Op) => { value: unknown } | undefined): unknown {
  let best: { stamp: Stamp; value: unknown } | undefined;
  for (const op of ops) {
    const w = pick(op);
    if (!w) continue;
    const stamp = { hlc: op.hlc, clientId: op.clientId, opId: op.opId };
    if (!best || compareStamps(stamp, best.stamp) > 0) best = { stamp, value: w.value };
  }
  return best?.value;
}

describe('convergence fuzz', () => {
  let data: string;
  let server: ServerProcess;
  let token: string;
  const devices: Device[] = [];
  const proxies: TcpProxy[] = [];

  before(async () => {
    console.log(`convergence fuzz: SKEIN_FUZZ_SEED=${SEED} SKEIN_FUZZ_OPS=${OPS}`);
    data = mkdtempSync(join(tmpdir(), 'skein-server-'));
    server = await startServerProcess({ data });
    token = await server.token('fuzz');
  });
  after(async () => {
    for (const d of devices) await d.close();
    for (const p of proxies) await p.close();
    await server?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test(`${DEVICES} devices, ${OPS} random changes, disconnects and delays, then quiet: every device equals the server (seed ${SEED})`, async (t) => {
    const started = Date.now();
    const random = seededRandom(SEED);
    const netRandom = seededRandom(SEED ^ 0x5bd1e995);
    const int = (n: number) => Math.floor(random() * n);
    for (let i = 0; i < DEVICES; i++) {
      const proxy = await startTcpProxy(server.url, netRandom);
      proxies.push(proxy);
      devices.push(await openDevice(`d${i}`, proxy.url, token, { memory: i >= 3 }));
    }

    const threads: ThreadID[] = [];
    const written = new Set<string>();
    // Per device and thread: tool calls made and not yet answered.
    const openCalls = new Map<string, string[]>();
    const syncs: Promise<unknown>[] = [];
    const counts = { changes: 0, syncs: 0, downs: 0, drops: 0, restarts: 0, skipped: 0 };
    let nextId = 0;
    const newId = () => `f${SEED}-${nextId++}`;

    for (let i = 0; i < DEVICES; i++) threads.push((await devices[i % DEVICES]!.store.createThread({ title: `thread ${i}` })).id);
    counts.changes += threads.length;

    while (counts.changes < OPS) {
      const di = int(DEVICES);
      const d = devices[di]!;
      const proxy = proxies[di]!;
      const r = random();
      if (r < 0.12) {
        counts.syncs++;
        syncs.push(d.store.sync.now().catch(() => undefined));
        continue;
      }
      if (r < 0.16) {
        const n = random();
        if (n < 0.2) {
          if (!proxy.isDown) counts.downs++;
          proxy.down();
        } else if (n < 0.6) proxy.up();
        else if (n < 0.85) proxy.setDelay(0, Math.floor(random() * 40));
        else {
          counts.drops++;
          proxy.dropResponses(1);
        }
        continue;
      }
      if (r < 0.19) {
        await new Promise((res) => setTimeout(res, 1 + int(8)));
        continue;
      }
      if (r < 0.192) {
        // The program on an on-disk device restarts: its outbox and sync state must survive.
        if (d.dir) {
          counts.restarts++;
          await d.reopen();
        }
        continue;
      }
      if (r < 0.195) {
        threads.push((await d.store.createThread({ title: `thread ${threads.length}` })).id);
        counts.changes++;
        continue;
      }
      // A change to a thread this device already holds; older threads are busier.
      const id = threads[Math.floor(random() ** 2 * threads.length)]!;
      const head = await d.store['core'].backend.getHead(id);
      if (!head) {
        counts.skipped++;
        continue;
      }
      const key = `${di}/${id}`;
      const calls = openCalls.get(key) ?? [];
      const c = random();
      let delta: Delta;
      if (c < 0.35) delta = { type: 'user:message', message: { id: newId(), content: `u${counts.changes}` } };
      else if (c < 0.5) delta = { type: 'assistant:message', message: { id: newId(), content: `a${counts.changes}` } };
      else if (c < 0.65) {
        const call = newId();
        calls.push(call);
        openCalls.set(key, calls);
        delta = { type: 'assistant:message', message: { id: newId(), content: `call ${call}`, toolCalls: [{ id: call, name: 'tool', input: { n: counts.changes } }] } };
      } else if (c < 0.8 && calls.length > 0) {
        const call = calls.splice(int(calls.length), 1)[0]!;
        delta = { type: 'user:message', message: { id: newId(), content: '', toolResults: [{ toolCallId: call, output: `result ${call}` }] } };
      } else if (c < 0.88) delta = { type: 'title', value: `title ${counts.changes} by d${di}` };
      else if (c < 0.96) delta = { type: 'meta:set', key: META_KEYS[int(META_KEYS.length)]!, value: random() < 0.2 ? null : counts.changes };
      else {
        if (head.messageCount < 4) {
          counts.skipped++;
          continue;
        }
        delta = { type: 'thread:truncate', fromIndex: head.messageCount - 1 - int(Math.floor(head.messageCount / 2)) };
      }
      try {
        await d.store.append(id, delta);
      } catch (err) {
        // A truncate index that a merge moved meanwhile: refused, nothing written.
        if (delta.type === 'thread:truncate' && (err as { code?: string }).code === 'VALIDATION') {
          counts.skipped++;
          continue;
        }
        throw err;
      }
      if ('message' in delta) written.add(delta.message.id!);
      counts.changes++;
    }

    // Quiet: the network heals, the devices sync until nothing moves.
    for (const p of proxies) {
      p.up();
      p.setDelay(0);
      p.dropResponses(0);
    }
    await Promise.all(syncs);
    const passes = await settle(devices, 100);

    const onServer = await assertConverged(devices, server.url, token);
    assert.equal(onServer.size, threads.length, 'every thread reached the server');
    let opsTotal = 0;
    const logged = new Set<string>();
    for (const [id, th] of onServer) {
      const log = await serverOps(server.url, token, id);
      opsTotal += log.length;
      for (const op of log) logged.add(op.opId);
      assert.equal(new Set(th.messages.map((m) => m.id)).size, th.messages.length, `${id}: a message shows twice`);
      assertToolPairsAdjacent(th, { onlyVisibleResults: true });
      assert.equal(th.title, lastWrite(log, (op) => (op.type === 'title' ? { value: op.value } : op.type === 'thread:create' && op.fields.title !== undefined ? { value: op.fields.title } : undefined)));
      for (const k of META_KEYS) {
        const v = lastWrite(log, (op) => (op.type === 'meta:set' && op.key === k ? { value: op.value } : undefined));
        assert.deepEqual(th.meta?.[k] ?? null, v ?? null, `${id}: meta ${k}`);
      }
    }
    assert.equal(logged.size, opsTotal, 'no op is stored twice');
    assert.equal(opsTotal, counts.changes, 'one op on the server for each change made');
    for (const m of written) assert.ok(logged.has(m), `message ${m} was lost`);
    t.diagnostic(
      `seed ${SEED}: ${counts.changes} changes (${written.size} messages, ${threads.length} threads), ${counts.syncs} syncs, ` +
        `${counts.downs} disconnects, ${counts.drops} lost answers, ${counts.restarts} restarts, ${counts.skipped} skipped; settled in ${passes} passes; ${Date.now() - started} ms`,
    );
  });
});
