/**
 * A pulled page of threads new to this device is stored in one commit: every thread arrives
 * exactly as on the server, and a thread already stored here makes the whole commit write
 * nothing (the engine then takes the page one thread at a time). A push reads ops as the texts
 * they are stored as, byte for byte what JSON.stringify gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, SkeinError, openStore, type Op } from '../../src/index.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { StoreReplica } from '../../src/store/replica.js';
import { clientIdOfBody } from '../../src/store/view.js';
import { PROTOCOL_VERSION, pushRequestText } from '../../src/sync/protocol.js';
import fc from 'fast-check';
import { fcRuns } from '../helpers/fc-runs.js';
import { anyPayload, writePayload } from '../helpers/json-data.js';
import { tempStore } from '../helpers/workspace.js';

async function logs(n: number): Promise<Op[][]> {
  const other = await openStore({ dir: ':memory:' });
  const out: Op[][] = [];
  for (let i = 0; i < n; i++) {
    const th = await other.createThread({ title: `t${i}` });
    await other.append(th.id, [
      { type: 'user:message', message: { content: `question ${i}` } },
      { type: 'assistant:message', message: { content: `answer ${i}` } },
    ]);
    out.push(await other.history(th.id));
  }
  await other.close();
  return out;
}

test('importThreads stores every whole thread at once, each readable as sent', async () => {
  const t = await tempStore();
  try {
    const threads = await logs(3);
    await new StoreReplica(t.store['core']).importThreads(threads);
    for (const ops of threads) {
      const th = (await t.store.getThread(ops[0]!.threadId))!;
      assert.equal(th.v, ops.length);
      assert.deepEqual(th.messages.map((m) => m.content), ops.slice(1).map((o) => (o as { message: { content: string } }).message.content));
      assert.deepEqual(await t.store.history(ops[0]!.threadId), ops);
    }
  } finally {
    await t.dispose();
  }
});

test('importThreads writes nothing when one of the threads is stored here already', async () => {
  const t = await tempStore();
  try {
    const threads = await logs(3);
    const replica = new StoreReplica(t.store['core']);
    await replica.importThread(threads[1]!);
    await assert.rejects(replica.importThreads(threads), (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.VERSION_CONFLICT);
    assert.equal(await t.store.info(threads[0]![0]!.threadId), null);
    assert.equal(await t.store.info(threads[2]![0]!.threadId), null);
    assert.equal((await t.store.info(threads[1]![0]!.threadId))?.v, threads[1]!.length);
  } finally {
    await t.dispose();
  }
});

test('importThreads refuses a log that does not start with thread:create at v1', async () => {
  const t = await tempStore();
  try {
    const [ops] = await logs(1);
    await assert.rejects(new StoreReplica(t.store['core']).importThreads([ops!.slice(1)]), (e: unknown) => e instanceof SkeinError && e.code === ErrorCode.VALIDATION);
  } finally {
    await t.dispose();
  }
});

test('a push sends each stored op as the very JSON text JSON.stringify gives of it (any legal JSON inside)', async () => {
  const t = await tempStore();
  try {
    const replica = new StoreReplica(t.store['core']);
    await fc.assert(
      fc.asyncProperty(anyPayload, async (p) => {
        const id = await writePayload(t.store, p);
        const ops = await replica.ops(id, 0, 1000);
        assert.deepEqual(await replica.opTexts(id, 0, 1000), ops.map((op) => ({ v: op.v, text: JSON.stringify(op) })));
        assert.deepEqual(await replica.opTexts(id, 1, 2), ops.slice(1, 2).map((op) => ({ v: op.v, text: JSON.stringify(op) })));
      }),
      { numRuns: fcRuns(60) },
    );
  } finally {
    await t.dispose();
  }
});

test('a push request built from op texts is the JSON of the request itself', async () => {
  const [a, b] = await logs(2);
  const threads = [a!, b!].map((ops, i) => ({ id: ops[0]!.threadId, baseVersion: i, ops }));
  const text = pushRequestText('client "1"', threads.map((t) => ({ ...t, ops: t.ops.map((op) => ({ v: op.v, text: JSON.stringify(op) })) }))).text;
  assert.equal(text, JSON.stringify({ type: 'push', protocol: PROTOCOL_VERSION, clientId: 'client "1"', threads }));
});

test('a pull page reads ops after the cursor as their JSON texts and writers, as parsing them would give', async () => {
  const t = await tempStore();
  try {
    const backend = (t.store['core'] as { backend: StorageBackend }).backend;
    assert.ok(backend.opTextsSince);
    await fc.assert(
      fc.asyncProperty(anyPayload, async (p) => {
        const from = await backend.maxSeq();
        await writePayload(t.store, p);
        const ops = await backend.opsSince(from, 100);
        const rows = await backend.opTextsSince!(from, 100);
        assert.deepEqual(
          rows.map((r) => ({ seq: r.seq, threadId: r.threadId, v: r.v, clientId: r.clientId, text: r.text() })),
          ops.map(({ seq, op }) => ({ seq, threadId: op.threadId, v: op.v, clientId: op.clientId, text: JSON.stringify(op) })),
        );
      }),
      { numRuns: fcRuns(40) },
    );
  } finally {
    await t.dispose();
  }
});

test('an op body not in the usual shape still gives its writer', () => {
  assert.equal(clientIdOfBody('{"at":1,"clientId":"a\\"b","x":1}'), 'a"b');
  assert.equal(clientIdOfBody('{"hlc":"1","clientId":"c2","at":5}'), 'c2');
  assert.equal(clientIdOfBody('{"at":1.5e3,"clientId":"c3"}'), 'c3');
});
