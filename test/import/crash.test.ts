import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTranscripts, openStore, type Store, type Thread } from '../../src/index.js';
import { killChild, spawnChild } from '../helpers/child-process.js';
import { writeSession } from '../helpers/cc-generate.js';

async function onlyThread(store: Store): Promise<Thread> {
  const { threads } = await store.listThreads({ limit: 10 });
  assert.equal(threads.length, 1);
  return (await store.getThread(threads[0]!.id))!;
}

describe('crash in the middle of an import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('kill -9 leaves a consistent prefix, and the next import completes it without doubles', async () => {
    const src = join(dir, 'projects');
    mkdirSync(src, { recursive: true });
    const bytes = writeSession(join(src, '99999999-0000-4000-8000-000000000001.jsonl'), '99999999-0000-4000-8000-000000000001', 6000);
    const crashed = join(dir, 'crashed');
    const child = spawnChild('import-child.ts', [crashed, src]);
    // wait until the import is well under way, then kill it hard
    for (;;) {
      const msg = await child.next(60_000);
      if (msg.done !== undefined) assert.fail('the import finished before it could be killed: make the session bigger');
      const p = msg.progress as { bytesDone: number };
      if (p.bytesDone > bytes * 0.3) break;
    }
    await killChild(child);

    const clean = await openStore({ dir: join(dir, 'clean') });
    await importTranscripts(clean, { source: 'claude-code', paths: [src] });
    const want = await onlyThread(clean);
    await clean.close();

    let store = await openStore({ dir: crashed });
    const partial = await onlyThread(store);
    assert.ok(partial.messages.length > 0 && partial.messages.length < want.messages.length, `a prefix: ${partial.messages.length} of ${want.messages.length}`);
    assert.deepEqual(partial.messages.map((m) => m.id), want.messages.slice(0, partial.messages.length).map((m) => m.id));
    await store.close();

    store = await openStore({ dir: crashed });
    // The killed importer still holds its import lease: a process that no longer exists is not waited for.
    let waited = false;
    await importTranscripts(store, { source: 'claude-code', paths: [src], onWait: () => (waited = true) });
    assert.equal(waited, false);
    const done = await onlyThread(store);
    assert.deepEqual(done.messages.map((m) => m.id), want.messages.map((m) => m.id));
    assert.deepEqual(await store.usage(done.id), await (async () => {
      const c = await openStore({ dir: join(dir, 'clean') });
      try {
        return await c.usage(want.id);
      } finally {
        await c.close();
      }
    })());
    await store.close();
  });
});

describe('the crash window between the thread and the import state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-window-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a thread ahead of the recorded state is caught up: nothing doubled, lost raw copies kept again', async () => {
    const { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } = await import('node:fs');
    const { jsonl, user, assistant } = await import('./cc-records.js');
    const { exportThreads } = await import('../../src/index.js');
    const src = join(dir, 'p');
    mkdirSync(src, { recursive: true });
    const s = 'dddddddd-0000-4000-8000-000000000001';
    const file = join(src, `${s}.jsonl`);
    writeFileSync(file, jsonl([user('w1', null, 'first', { sessionId: s }), assistant('w2', 'w1', 'msg_1', 'req_1', { type: 'text', text: 'one' }, {}, { sessionId: s })]));
    const storeDir = join(dir, 'store');
    let store = await openStore({ dir: storeDir });
    await importTranscripts(store, { source: 'claude-code', paths: [src] });
    await store.close();
    // the state as it was before the next batch
    for (const ext of ['', '-wal', '-shm']) if (existsSync(join(storeDir, `imports.db${ext}`))) copyFileSync(join(storeDir, `imports.db${ext}`), join(dir, `saved${ext}`));
    appendFileSync(file, jsonl([user('w3', 'w2', 'second', { sessionId: s }), assistant('w4', 'w3', 'msg_2', 'req_2', { type: 'text', text: 'two' }, {}, { sessionId: s })]));
    store = await openStore({ dir: storeDir });
    await importTranscripts(store, { source: 'claude-code', paths: [src] });
    const full = await onlyThread(store);
    await store.close();
    // as if the process died after the thread's append and before the state transaction
    for (const ext of ['', '-wal', '-shm']) {
      rmSync(join(storeDir, `imports.db${ext}`), { force: true });
      if (existsSync(join(dir, `saved${ext}`))) copyFileSync(join(dir, `saved${ext}`), join(storeDir, `imports.db${ext}`));
    }
    store = await openStore({ dir: storeDir });
    const r = await importTranscripts(store, { source: 'claude-code', paths: [src] });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.messages, 0);
    const after = await onlyThread(store);
    assert.equal(after.v, full.v);
    assert.deepEqual(after.messages.map((m) => m.id), full.messages.map((m) => m.id));
    let raw = '';
    for await (const c of exportThreads(store, after.id, { format: 'raw' })) raw += c;
    assert.equal(raw, readFileSync(file, 'utf8'));
    await store.close();
  });
});
