/**
 * Child process for the SQLite open race: for each `{ file }` command it opens that file the way
 * every skein database is opened, brings it to a two-step schema, writes one row and answers.
 */
import { createInterface } from 'node:readline';
import { migrate, openSqlite } from '../../src/store/sqlite/driver.js';

const MIGRATIONS = ['CREATE TABLE rows (pid INTEGER NOT NULL)', 'CREATE INDEX rows_pid ON rows (pid)'];

console.log(JSON.stringify({ ready: true }));
for await (const line of createInterface({ input: process.stdin })) {
  const { file } = JSON.parse(line) as { file: string };
  try {
    const db = openSqlite(file, { synchronous: 'NORMAL' });
    migrate(db, MIGRATIONS);
    db.prepare('INSERT INTO rows (pid) VALUES (?)').run(process.pid);
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();
    console.log(JSON.stringify({ ok: true, mode }));
  } catch (err) {
    console.log(JSON.stringify({ ok: false, error: String(err) }));
  }
}
