/**
 * The server keeps tokens and private threads in memory; a change must take effect at once. On
 * SQLite: a token deleted (or moved to another workspace) by another process is refused on the
 * next request, and a thread made private through the storage is hidden on the next lookup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashToken, SqliteServerStorage } from '../../src/server/server-storage.js';
import { hiddenFrom, visibleIds } from '../../src/server/visibility.js';

test('SQLite server storage: a token changed by another process and a thread made private take effect at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-access-cache-'));
  const storage = new SqliteServerStorage(dir);
  try {
    const token = await storage.createToken('team', 'alice');
    const moved = await storage.createToken('team', 'bob');
    // Looked up (and so cached) first.
    assert.deepEqual(await storage.tokenOf(token), { workspace: 'team', user: 'alice' });
    assert.deepEqual(await storage.tokenOf(moved), { workspace: 'team', user: 'bob' });
    assert.deepEqual(await storage.privateThreads('team'), []);

    // Another process (an operator's sqlite3, a later `skein token` command) revokes one token and moves the other.
    const other = new Database(join(dir, 'server.db'));
    other.prepare('DELETE FROM tokens WHERE hash = ?').run(hashToken(token));
    other.prepare('UPDATE tokens SET workspace = ? WHERE hash = ?').run('elsewhere', hashToken(moved));
    other.close();
    assert.equal(await storage.tokenOf(token), undefined, 'revoked');
    assert.equal((await storage.tokenOf(moved))?.workspace, 'elsewhere', 'moved');

    // A thread made private (this process records it after a push) is hidden from the next lookup on.
    assert.deepEqual([...(await visibleIds(storage, 'team', 'bob', ['T-1']))], ['T-1']);
    await storage.noteThread('team', { id: 'T-1', creator: 'alice', visibility: 'private' });
    assert.deepEqual([...(await visibleIds(storage, 'team', 'bob', ['T-1']))], [], 'hidden from bob at once');
    assert.deepEqual([...(await visibleIds(storage, 'team', 'alice', ['T-1']))], ['T-1'], 'its creator still sees it');
    await storage.noteThread('team', { id: 'T-1', visibility: 'workspace' });
    assert.deepEqual([...(await hiddenFrom(storage, 'team', 'bob'))], [], 'and shown again at once');

    // Made private by another process writing server.db directly.
    const again = new Database(join(dir, 'server.db'));
    again.prepare(`UPDATE thread_access SET visibility = 'private' WHERE thread = 'T-1'`).run();
    again.close();
    assert.deepEqual([...(await hiddenFrom(storage, 'team', 'bob'))], ['T-1']);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
