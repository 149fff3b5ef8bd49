/**
 * The "server killed mid-sync" scenario, shared by the SQLite and the PostgreSQL test: devices
 * write and sync in loops; the server is killed with SIGKILL while a push is in flight, stays
 * down while the devices keep writing, and is restarted on the same storage. Then: every push the
 * server acknowledged before dying is still there, every message any device wrote is on the
 * server exactly once, and every device ends identical to the server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Delta, ThreadID } from '../../src/index.js';
import { startHttpRecorder, type RecordedRequest } from './http-recorder.js';
import { assertConverged, assertToolPairsAdjacent, openDevice, serverOps, settle, type Device } from './sync-devices.js';
import { startServerProcess, type ServerStorageChoice } from './sync-server.js';

const DEVICES = 4;
const KILL_AT_PUSH = 25;

type PushBody = { threads: { id: ThreadID; ops: { opId: string }[] }[] };
type PushAnswer = { threads: { id: ThreadID; status: string }[] };

/** Runs the scenario on `choice`; `log` gets a line of figures. */
export async function runServerCrashScenario(choice: ServerStorageChoice, log: (line: string) => void = () => undefined): Promise<void> {
  const server = await startServerProcess(choice);
  const devices: Device[] = [];
  let killed: Promise<void> | undefined;
  let killedAt = Infinity;
  let pushesSeen = 0;
  const recorder = await startHttpRecorder(server.url, (req) => {
    if (req.path !== '/v1/sync/push' || ++pushesSeen !== KILL_AT_PUSH) return;
    // This push is on its way to the server: it dies with the push in flight.
    killedAt = req.at;
    killed = server.kill('SIGKILL');
  });
  try {
    const token = await server.token('crash');
    for (let i = 0; i < DEVICES; i++) devices.push(await openDevice(`d${i}`, recorder.url, token));
    const shared = await devices[0]!.store.createThread({ title: 'shared' });
    await settle(devices);

    const written: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const loops = devices.map(async (d, i) => {
      const own = await d.store.createThread({ title: `own ${i}` });
      for (let n = 0; !stop; n++) {
        const id: ThreadID = n % 2 ? shared.id : own.id;
        const call = randomUUID();
        const turn: Delta[] = [
          { type: 'user:message', message: { id: randomUUID(), content: `d${i} asks ${n}` } },
          { type: 'assistant:message', message: { id: randomUUID(), content: `d${i} calls ${n}`, toolCalls: [{ id: call, name: 'run', input: { n } }] } },
          { type: 'user:message', message: { id: randomUUID(), content: '', toolResults: [{ toolCallId: call, output: n }] } },
        ];
        await d.store.append(id, turn);
        for (const t of turn) if ('message' in t) written.push(t.message.id!);
        await d.store.sync.now().catch((err) => failures.push(err));
      }
    });

    while (!killed) await new Promise((r) => setTimeout(r, 20));
    await killed;
    // Down for a while: the devices keep writing, their syncs fail.
    const writtenAtKill = written.length;
    while (written.length < writtenAtKill + 4 * DEVICES) await new Promise((r) => setTimeout(r, 20));
    await server.restart();
    const failuresWhileDown = failures.length;

    // Everything the server acknowledged before it died survived.
    const acked = new Map<ThreadID, Set<string>>();
    for (const r of recorder.requests as RecordedRequest[]) {
      if (r.path !== '/v1/sync/push' || r.at >= killedAt || r.response?.status !== 200) continue;
      const answer = r.response.body as PushAnswer;
      for (const t of (r.body as PushBody).threads) {
        if (answer.threads.find((a) => a.id === t.id)?.status !== 'ok') continue;
        const set = acked.get(t.id) ?? new Set<string>();
        for (const op of t.ops) set.add(op.opId);
        acked.set(t.id, set);
      }
    }
    assert.ok(acked.size > 0, 'some pushes were acknowledged before the kill');
    for (const [id, opIds] of acked) {
      const stored = new Set((await serverOps(server.url, token, id)).map((o) => o.opId));
      for (const opId of opIds) assert.ok(stored.has(opId), `acknowledged op ${opId} of ${id} was lost`);
    }

    // Writing and syncing go on against the restarted server, then quiet.
    const writtenAtRestart = written.length;
    while (written.length < writtenAtRestart + 6 * DEVICES) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(loops);
    await settle(devices);

    const threads = await assertConverged(devices, server.url, token);
    const logged: string[] = [];
    for (const id of threads.keys()) logged.push(...(await serverOps(server.url, token, id)).map((o) => o.opId));
    assert.equal(new Set(logged).size, logged.length, 'no op is stored twice');
    const onServer = new Set(logged);
    const lost = written.filter((id) => !onServer.has(id));
    assert.deepEqual(lost, [], 'every message a device wrote is on the server');
    let visible = 0;
    for (const t of threads.values()) {
      assertToolPairsAdjacent(t);
      visible += t.messages.length;
    }
    assert.equal(visible, written.length, 'and shown exactly once');
    log(`${written.length} messages written by ${DEVICES} devices, killed at push ${KILL_AT_PUSH}, ${failuresWhileDown} sync rounds failed while down`);
  } finally {
    for (const d of devices) await d.close();
    await recorder.close();
    await server.stop();
  }
}
