import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { killChild, spawnChild, type Child } from '../helpers/child-process.js';
import { openSqlite } from '../../src/store/sqlite/driver.js';

describe('opening a SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-open-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('several processes opening the same new file at once all get it, in WAL, migrated once', async () => {
    const children: Child[] = Array.from({ length: 6 }, () => spawnChild('sqlite-open-child.ts', []));
    try {
      for (const c of children) assert.deepEqual(await c.next(30_000), { ready: true });
      for (let round = 0; round < 8; round++) {
        const file = join(dir, `race-${round}.db`);
        for (const c of children) c.send({ file });
        for (const c of children) assert.deepEqual(await c.next(30_000), { ok: true, mode: 'wal' }, `round ${round}`);
        const db = openSqlite(file, { synchronous: 'NORMAL' });
        assert.equal((db.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n, children.length);
        assert.equal(db.pragma('user_version', { simple: true }), 2);
        db.close();
      }
    } finally {
      await Promise.all(children.map(killChild));
    }
  });
});
