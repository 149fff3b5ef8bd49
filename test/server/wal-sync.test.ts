/**
 * The server's workspace databases run at synchronous NORMAL and sync their WAL file after each
 * write (server/wal-sync.ts): a write resolves only after a sync that started after it, syncs
 * requested together share one, and reads never wait for one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { SqliteServerStorage } from '../../src/server/server-storage.js';
import { syncedWrites, WalSync } from '../../src/server/wal-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'skein-wal-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('syncs asked for while one runs share the next one, and none resolves on a sync that began before it', async () => {
  const file = join(dir, 'a.db');
  const db = openSqlite(file, { synchronous: 'NORMAL' });
  db.exec('CREATE TABLE t (x)');
  const wal = new WalSync(file);
  try {
    const first = wal.sync();
    // Asked after the first began: each must wait for a second sync.
    const later = [wal.sync(), wal.sync(), wal.sync(), wal.sync()];
    await first;
    assert.equal(wal.syncs, 1);
    await Promise.all(later);
    assert.equal(wal.syncs, 2, 'the four later requests shared one sync');
    db.prepare('INSERT INTO t VALUES (1)').run();
    await wal.sync();
    assert.equal(wal.syncs, 3);
  } finally {
    await wal.close();
    db.close();
  }
});

test('a database that was never written has no WAL file yet: the sync fails, and works once there is one', async () => {
  const file = join(dir, 'fresh.db');
  const wal = new WalSync(file);
  await assert.rejects(wal.sync(), /ENOENT/);
  const db = openSqlite(file, { synchronous: 'NORMAL' });
  db.exec('CREATE TABLE t (x)');
  await wal.sync();
  await wal.close();
  db.close();
});

test('writes through syncedWrites resolve after a sync that followed them; reads do not sync', async () => {
  const log: string[] = [];
  const fake = {
    kind: 'sqlite',
    commit: async () => void log.push('commit'),
    releaseLease: async () => void log.push('release'),
    getHead: async () => (log.push('getHead'), undefined),
    close: async () => void log.push('close'),
  } as unknown as StorageBackend;
  const wal = { sync: async () => void log.push('sync'), settled: () => undefined, close: async () => void log.push('wal closed') } as unknown as WalSync;
  const b = syncedWrites(fake, wal);
  assert.equal(b.kind, 'sqlite');
  await b.commit([], 0);
  await b.releaseLease('T-x' as never, 1 as never);
  await b.getHead('T-x' as never);
  await b.close();
  assert.deepEqual(log, ['commit', 'sync', 'release', 'sync', 'getHead', 'close', 'wal closed']);
});

test('a read that returns while a sync is pending waits for it: nothing is seen before it is durable', async () => {
  const file = join(dir, 'reads.db');
  const db = openSqlite(file, { synchronous: 'NORMAL' });
  db.exec('CREATE TABLE t (x)');
  const wal = new WalSync(file);
  const log: string[] = [];
  const fake = { kind: 'sqlite', getHead: async () => 'head', close: async () => undefined } as unknown as StorageBackend;
  const b = syncedWrites(fake, wal);
  try {
    assert.equal(wal.settled(), undefined, 'nothing pending');
    const synced = wal.sync().then(() => log.push('synced'));
    const read = b.getHead('T-x' as never).then((h) => log.push(`read ${String(h)}`));
    await Promise.all([synced, read]);
    assert.deepEqual(log, ['synced', 'read head']);
    assert.equal(wal.settled(), undefined);
  } finally {
    await wal.close();
    db.close();
  }
});

test("the server storage's workspace database runs at NORMAL, and a commit leaves its WAL synced", async () => {
  const storage = new SqliteServerStorage(join(dir, 'server'));
  try {
    const backend = await storage.backend('ws');
    const db = (backend as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db;
    assert.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    let synced = 0;
    const original = WalSync.prototype.sync;
    WalSync.prototype.sync = function (this: WalSync) {
      synced++;
      return original.call(this);
    };
    try {
      await backend.commit([], Date.now());
    } finally {
      WalSync.prototype.sync = original;
    }
    assert.equal(synced, 1);
  } finally {
    await storage.close();
  }
});
