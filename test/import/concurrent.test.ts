import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { importTranscripts, openStore, watchTranscripts, type ImportResult, type Store } from '../../src/index.js';
import { killChild, spawnChild } from '../helpers/child-process.js';
import { writeSession } from '../helpers/cc-generate.js';

/** Every thread of a store by its import key, with its message ids and child links. */
async function byKey(store: Store): Promise<Map<string, { ids: string[]; children: number }[]>> {
  const out = new Map<string, { ids: string[]; children: number }[]>();
  let cursor: string | undefined;
  do {
    const page = await store.listThreads({ limit: 100, ...(cursor && { cursor }) });
    for (const h of page.threads) {
      const t = (await store.getThread(h.id))!;
      const key = String(t.meta?.importKey);
      out.set(key, [...(out.get(key) ?? []), { ids: t.messages.map((m) => m.id), children: t.childThreadIDs.length }]);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Three sessions, one with a sub-agent file: big enough that two imports overlap for a while. */
function writeSource(dir: string): string {
  const projects = join(dir, 'projects');
  const p = join(projects, '-home-dev-race');
  mkdirSync(join(p, 'cccccccc-0000-4000-8000-000000000001', 'subagents'), { recursive: true });
  for (let i = 1; i <= 3; i++) writeSession(join(p, `cccccccc-0000-4000-8000-00000000000${i}.jsonl`), `cccccccc-0000-4000-8000-00000000000${i}`, 700);
  writeSession(join(p, 'cccccccc-0000-4000-8000-000000000001', 'subagents', 'agent-a1.jsonl'), 'eeeeeeee-0000-4000-8000-000000000009', 300);
  return projects;
}

async function assertSameAsClean(dir: string, src: string, store: Store): Promise<void> {
  const clean = await openStore({ dir: join(dir, `clean-${Math.random().toString(36).slice(2)}`) });
  await importTranscripts(clean, { source: 'claude-code', paths: [src] });
  const want = await byKey(clean);
  await clean.close();
  const got = await byKey(store);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [key, threads] of got) {
    assert.equal(threads.length, 1, `${key} maps to ${threads.length} threads`);
    const t = threads[0]!;
    assert.equal(new Set(t.ids).size, t.ids.length, `${key}: a message twice`);
    assert.deepEqual(t.ids, want.get(key)![0]!.ids, `${key}: the messages of a single import, in order`);
    assert.equal(t.children, want.get(key)![0]!.children, `${key}: child links`);
  }
}

describe('concurrent imports of the same source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-concurrent-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const src = writeSource(dir);

  it('two processes importing the same files into one store: each session once, each message once', async () => {
    const storeDir = join(dir, 'store-procs');
    const a = spawnChild('import-race-child.ts', [storeDir, src]);
    const b = spawnChild('import-race-child.ts', [storeDir, src]);
    try {
      assert.deepEqual(await a.next(60_000), { ready: true });
      assert.deepEqual(await b.next(60_000), { ready: true });
      a.send({ go: true });
      b.send({ go: true });
      const ra = await a.next(180_000);
      const rb = await b.next(180_000);
      assert.equal(ra.skipped, 0, a.stderr());
      assert.equal(rb.skipped, 0, b.stderr());
    } finally {
      await killChild(a);
      await killChild(b);
    }
    const store = await openStore({ dir: storeDir });
    try {
      await assertSameAsClean(dir, src, store);
    } finally {
      await store.close();
    }
  });

  it('a one-shot import while --watch follows the same folder (two stores on one file): each session once', async () => {
    const storeDir = join(dir, 'store-watch');
    const watching = await openStore({ dir: storeDir });
    const oneShot = await openStore({ dir: storeDir });
    const ac = new AbortController();
    const rounds: ImportResult[] = [];
    try {
      const running = watchTranscripts(watching, { source: 'claude-code', paths: [src], signal: ac.signal, pollMs: 50, onRound: (r) => rounds.push(r) });
      const r = await importTranscripts(oneShot, { source: 'claude-code', paths: [src] });
      assert.deepEqual(r.skipped, []);
      while (rounds.length === 0) await new Promise((res) => setTimeout(res, 25));
      ac.abort();
      await running;
      assert.deepEqual(rounds.flatMap((x) => x.skipped), []);
      await assertSameAsClean(dir, src, oneShot);
    } finally {
      ac.abort();
      await watching.close();
      await oneShot.close();
    }
  });
});

describe('the import lease', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-lease-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'projects', '-p');
  mkdirSync(src, { recursive: true });
  writeSession(join(src, 'dddddddd-0000-4000-8000-000000000001.jsonl'), 'dddddddd-0000-4000-8000-000000000001', 400);
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(s: string): { run(...a: unknown[]): unknown }; close(): void };
  /** Writes the lease row as another importer (on another host, so it cannot be known dead) would. */
  const holdLease = (storeDir: string, owner: string, expires: number) => {
    const db = new Sqlite(join(storeDir, 'imports.db'));
    db.prepare("INSERT OR REPLACE INTO leases (name, owner, host, pid, expires) VALUES ('import:claude-code', ?, 'elsewhere', 1, ?)").run(owner, expires);
    db.close();
  };

  it('waits while another live import holds it, and goes on once it is given back', async () => {
    const storeDir = join(dir, 'store-wait');
    const store = await openStore({ dir: storeDir });
    try {
      // an import of nothing creates imports.db; then another importer holds the lease
      mkdirSync(join(dir, 'empty'), { recursive: true });
      await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'empty')] });
      holdLease(storeDir, 'other', Date.now() + 3_600_000);
      let waiting: (() => void) | undefined;
      const waited = new Promise<void>((r) => (waiting = r));
      const running = importTranscripts(store, { source: 'claude-code', paths: [src], onWait: (h) => (assert.equal(h.host, 'elsewhere'), waiting!()) });
      await waited;
      assert.equal((await store.listThreads({ limit: 10 })).threads.length, 0, 'nothing imported while waiting');
      holdLease(storeDir, 'other', 0); // given back (expired)
      const r = await running;
      assert.equal(r.threads.created, 1);
      assert.deepEqual(r.skipped, []);
    } finally {
      await store.close();
    }
  });

  it('an import whose lease was taken over stops with LEASE_LOST before writing more; the next import completes it once', async () => {
    const storeDir = join(dir, 'store-lost');
    const big = join(dir, 'big', '-p');
    mkdirSync(big, { recursive: true });
    const bytes = writeSession(join(big, 'ffffffff-0000-4000-8000-000000000001.jsonl'), 'ffffffff-0000-4000-8000-000000000001', 4000);
    let store = await openStore({ dir: storeDir });
    mkdirSync(join(dir, 'empty'), { recursive: true });
    await importTranscripts(store, { source: 'claude-code', paths: [join(dir, 'empty')] });
    let taken = false;
    await assert.rejects(
      importTranscripts(store, {
        source: 'claude-code',
        paths: [big],
        onProgress: (p) => {
          if (taken || p.bytesDone < bytes * 0.3) return;
          taken = true;
          holdLease(storeDir, 'usurper', 0);
        },
      }),
      (err: Error & { code?: string }) => err.code === 'LEASE_LOST',
    );
    await store.close();
    store = await openStore({ dir: storeDir });
    try {
      const { threads } = await store.listThreads({ limit: 10 });
      const partial = (await store.getThread(threads[0]!.id))!.messages.length;
      await importTranscripts(store, { source: 'claude-code', paths: [big] });
      const full = (await store.getThread(threads[0]!.id))!.messages.length;
      assert.ok(partial > 0 && partial < full, `stopped part-way: ${partial} of ${full} messages`);
      await assertSameAsClean(dir, join(dir, 'big'), store);
    } finally {
      await store.close();
    }
  });
});
