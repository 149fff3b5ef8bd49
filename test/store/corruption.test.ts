/**
 * Corruption is reported, never served: after an unclean shutdown (a writer killed with SIGKILL,
 * its write-ahead log left behind) a store whose database has a damaged page refuses to open with
 * an error that names `skein doctor`, and `skein doctor` reports the damage (and a corrupted
 * archive entry) and exits non-zero; on a healthy store it says ok and exits 0.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkeinError, openStore, type ThreadID } from '../../src/index.js';
import { skein } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';

const CHILD = fileURLToPath(new URL('../helpers/append-loop-child.ts', import.meta.url));
const DAY = 86_400_000;

/** The root page of a table and the page size, read while the store is closed and clean. */
function rootPage(file: string, table: string): { root: number; pageSize: number } {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string, o: object) => {
    prepare(s: string): { get(...a: unknown[]): unknown };
    pragma(s: string, o: object): unknown;
    close(): void;
  };
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number };
    return { root: row.rootpage, pageSize: db.pragma('page_size', { simple: true }) as number };
  } finally {
    db.close();
  }
}

describe('corruption detection', () => {
  const dirs: string[] = [];
  after(async () => {
    const { rmSync } = await import('node:fs');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a healthy store: skein doctor says ok and exits 0', async () => {
    const dir = tempDir('doctor-ok');
    dirs.push(dir);
    let now = Date.UTC(2024, 0, 1);
    const store = await openStore({ dir, now: () => now });
    const t = await store.createThread({ title: 'fine' });
    await store.append(t.id, { type: 'user:message', message: { content: 'hello' } });
    now += 40 * DAY;
    await store.archiveInactiveThreads();
    await store.close();
    const r = await skein(['doctor', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /database .*: ok/);
    assert.match(r.stdout, /archive: 1 entry checked, all intact/);
  });

  test('a damaged page after a kill -9: the store refuses to open and doctor reports it', async () => {
    const dir = tempDir('doctor-bad');
    dirs.push(dir);
    const store = await openStore({ dir });
    const t = await store.createThread({ title: 'victim' });
    await store.close();
    const file = join(dir, 'skein.db');
    const { root, pageSize } = rootPage(file, 'leases');

    // A writer killed mid-work leaves its write-ahead log behind: an unclean shutdown.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, t.id as ThreadID, 'k'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.write('go\n');
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString().split('\n').filter((l) => l.startsWith('k-')).length;
        if (seen >= 20) resolve();
      });
      child.on('exit', () => reject(new Error('the child ended early')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0, 'the WAL was left behind');

    // One flipped byte: the page-type byte of a b-tree page the WAL does not hold.
    const fd = openSync(file, 'r+');
    const at = (root - 1) * pageSize + (root === 1 ? 100 : 0);
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    writeSync(fd, Buffer.from([b[0]! ^ 0xff]), 0, 1, at);
    closeSync(fd);

    await assert.rejects(openStore({ dir }), (e: unknown) => {
      assert.ok(e instanceof SkeinError, String(e));
      assert.match(e.message, /damaged/);
      assert.match(e.message, /skein doctor/);
      return true;
    });
    const r = await skein(['doctor', '--dir', dir]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /DAMAGED/);
    assert.match(r.stdout, /unclean shutdown/);
    assert.match(r.stderr, /^skein: the store is damaged/);
  });

  test('a flipped byte in an archive entry is reported by doctor', async () => {
    const dir = tempDir('doctor-archive');
    dirs.push(dir);
    let now = Date.UTC(2024, 0, 1);
    const store = await openStore({ dir, now: () => now });
    const t = await store.createThread({ title: 'old' });
    await store.append(t.id, { type: 'user:message', message: { content: 'x'.repeat(5000) } });
    now += 40 * DAY;
    await store.archiveInactiveThreads();
    await store.close();
    const entry = join(dir, 'archive', `${t.id}.skz`);
    const bytes = readFileSync(entry);
    bytes[bytes.length - 10]! ^= 0x01;
    writeFileSync(entry, bytes);
    const r = await skein(['doctor', '--dir', dir, '--json']);
    assert.notEqual(r.code, 0);
    const report = JSON.parse(r.stdout) as { ok: boolean; archive: { corrupted: { id: string; problem: string }[] } };
    assert.equal(report.ok, false);
    assert.deepEqual(report.archive.corrupted.map((c) => c.id), [t.id]);
    assert.match(report.archive.corrupted[0]!.problem, /checksum/);
  });
});
