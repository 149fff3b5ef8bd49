/**
 * Bytes on disk per message: the databases the append benchmark wrote, checkpointed
 * (`wal_checkpoint(TRUNCATE)`) and measured, skein against the raw table. Target: within 2x.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { appendDatabases } from './append.js';
import { checkpoint } from './fixtures.js';
import { progress, table, fmt, type BenchResult, type Benchmark } from './helpers.js';

function fileBytes(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** Database plus WAL size, after a TRUNCATE checkpoint by a fresh connection. */
function bytesOnDisk(file: string): number {
  checkpoint(file);
  return fileBytes(file) + fileBytes(`${file}-wal`);
}

/** Bytes per table and index (the `dbstat` virtual table), largest first. */
function breakdown(file: string): { name: string; bytes: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[];
  } finally {
    db.close();
  }
}

export const bytesBench: Benchmark = {
  name: 'bytes',
  title: 'bytes on disk per message after the append run',
  async run(ctx): Promise<BenchResult> {
    const dbs = await appendDatabases(ctx);
    progress(`measuring bytes of ${dbs.messages} messages`);
    const skein = bytesOnDisk(dbs.skeinFile) / dbs.messages;
    const raw = bytesOnDisk(dbs.rawFile) / dbs.messages;
    const parts = { skein: breakdown(dbs.skeinFile), raw: breakdown(dbs.rawFile) };
    for (const [who, rows] of Object.entries(parts)) {
      console.log(`\n${who} bytes per message by table/index:`);
      console.log(table(['name', 'bytes/msg'], rows.map((r) => [r.name, fmt(r.bytes / dbs.messages)])));
    }
    const ratio = skein / raw;
    return {
      rows: [{ metric: 'bytes on disk per message', unit: 'B', skein, baseline: raw, ratio, target: '<= 2.0', pass: ratio <= 2 }],
      details: { messages: dbs.messages, skeinBytesPerMessage: skein, rawBytesPerMessage: raw, breakdown: parts },
    };
  },
};
