/**
 * Server storage for visibility (SQLite): tokens name a user, a token made before users existed
 * keeps working as a user of its own after the upgrade, and the access records keep their first
 * creator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteServerStorage, hashToken } from '../../src/server/server-storage.js';
import { ValidationError } from '../../src/errors.js';

test('a server database from before users upgrades; old tokens are users of their own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-token-users-'));
  try {
    // The server database as migration 1 left it, with one token.
    const old = new Database(join(dir, 'server.db'));
    old.exec('CREATE TABLE tokens (hash TEXT PRIMARY KEY, workspace TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;');
    old.pragma('user_version = 1');
    old.prepare('INSERT INTO tokens VALUES (?, ?, ?)').run(hashToken('skn_old'), 'team', 1);
    old.close();

    const storage = new SqliteServerStorage(dir);
    try {
      const before = await storage.tokenOf('skn_old');
      assert.equal(before?.workspace, 'team');
      assert.match(before!.user, /^token:[0-9a-f]{16}$/);
      const alice = await storage.tokenOf(await storage.createToken('team', 'alice'));
      assert.deepEqual(alice, { workspace: 'team', user: 'alice' });
      await assert.rejects(storage.createToken('team', 'a b'), ValidationError);
      await assert.rejects(storage.createToken('team', ''), ValidationError);

      await storage.noteThread('team', { id: 'T-1', creator: 'alice', visibility: 'private' });
      await storage.noteThread('team', { id: 'T-1', creator: 'bob', visibility: 'public', shareId: 'S'.repeat(24) });
      assert.deepEqual((await storage.accessOf('team', ['T-1', 'T-2'])).get('T-1'), { id: 'T-1', creator: 'alice', visibility: 'public', shareId: 'S'.repeat(24) });
      assert.deepEqual(await storage.shareOf('S'.repeat(24)), { workspace: 'team', id: 'T-1' });
      await storage.noteThread('team', { id: 'T-1', visibility: 'private' });
      assert.equal(await storage.shareOf('S'.repeat(24)), undefined, 'the link is gone with the public visibility');
      assert.deepEqual((await storage.privateThreads('team')).map((a) => [a.id, a.creator]), [['T-1', 'alice']]);
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
