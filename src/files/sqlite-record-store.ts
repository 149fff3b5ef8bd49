/**
 * The file record store in the local SQLite database (tables `file_blobs` and `file_changes`,
 * made by the store's migrations), on the connection the SQLite backend opened.
 */
import type { ThreadID } from '../model/types.js';
import { writeFailure, type SqliteDatabase, type SqliteStatement } from '../store/sqlite/driver.js';
import type { BlobStats, FileChangeRecord, FileChangeType, FileRecordStore, RecordStats, StoredBlob } from './record-store.js';

type Row = {
  seq: number;
  thread_id: ThreadID;
  op_id: string;
  path: string;
  root: string;
  type: FileChangeType;
  before: string | null;
  after: string | null;
  at: number;
  thread_v: number;
  reverted: number | null;
};

function fromRow(r: Row): FileChangeRecord {
  return {
    seq: r.seq,
    threadId: r.thread_id,
    operationId: r.op_id,
    path: r.path,
    root: r.root,
    type: r.type,
    ...(r.before !== null && { before: r.before }),
    ...(r.after !== null && { after: r.after }),
    timestamp: r.at,
    threadV: r.thread_v,
    ...(r.reverted !== null && { reverted: r.reverted }),
  };
}

const REFERENCED = '(SELECT before FROM file_changes WHERE before IS NOT NULL UNION SELECT after FROM file_changes WHERE after IS NOT NULL)';

/** See the module comment. */
export class SqliteFileRecordStore implements FileRecordStore {
  private readonly s: Record<string, SqliteStatement>;

  constructor(private readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      putBlob: p('INSERT INTO file_blobs (hash, size, data) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING'),
      getBlob: p('SELECT hash, size, data FROM file_blobs WHERE hash = ?'),
      hasBlob: p('SELECT 1 FROM file_blobs WHERE hash = ?'),
      add: p('INSERT INTO file_changes (thread_id, op_id, path, root, type, before, after, at, thread_v) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      put: p(
        'INSERT INTO file_changes (seq, thread_id, op_id, path, root, type, before, after, at, thread_v, reverted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(seq) DO NOTHING',
      ),
      all: p('SELECT * FROM file_changes WHERE thread_id = ? ORDER BY seq'),
      ofOp: p('SELECT * FROM file_changes WHERE thread_id = ? AND op_id = ? ORDER BY seq'),
      mark: p('UPDATE file_changes SET reverted = ? WHERE seq = ?'),
      remove: p('DELETE FROM file_changes WHERE thread_id = ?'),
      blobStats: p(`SELECT count(*) AS blobs, coalesce(sum(size),0) AS rawBytes, coalesce(sum(length(data)),0) AS storedBytes,
        coalesce(sum(CASE WHEN hash IN ${REFERENCED} THEN size END),0) AS referencedRawBytes,
        coalesce(sum(CASE WHEN hash IN ${REFERENCED} THEN length(data) END),0) AS referencedStoredBytes FROM file_blobs`),
      recordStats: p(`SELECT f.thread_id AS threadId, count(*) AS records, coalesce(sum(coalesce(b1.size,0) + coalesce(b2.size,0)),0) AS wholeBytes
        FROM file_changes f LEFT JOIN file_blobs b1 ON b1.hash = f.before LEFT JOIN file_blobs b2 ON b2.hash = f.after GROUP BY f.thread_id`),
    };
  }

  private insertBlob(blob: StoredBlob): boolean {
    return this.s.putBlob!.run(blob.hash, blob.size, Buffer.from(blob.gzip.buffer, blob.gzip.byteOffset, blob.gzip.byteLength)).changes === 1;
  }

  async putBlob(blob: StoredBlob): Promise<boolean> {
    return this.insertBlob(blob);
  }

  async hasBlob(hash: string): Promise<boolean> {
    return this.s.hasBlob!.get(hash) !== undefined;
  }

  async getBlob(hash: string): Promise<StoredBlob | undefined> {
    const r = this.s.getBlob!.get(hash) as { hash: string; size: number; data: Buffer } | undefined;
    return r && { hash: r.hash, size: r.size, gzip: r.data };
  }

  async addRecord(record: Omit<FileChangeRecord, 'seq'>, blobs: StoredBlob[] = []): Promise<FileChangeRecord> {
    const r = record;
    let seq: number;
    try {
      seq = this.db.transaction(() => {
        for (const b of blobs) this.insertBlob(b);
        return Number(this.s.add!.run(r.threadId, r.operationId, r.path, r.root, r.type, r.before ?? null, r.after ?? null, r.timestamp, r.threadV).lastInsertRowid);
      })();
    } catch (err) {
      throw writeFailure(err, 'the store database');
    }
    return { ...record, seq };
  }

  async records(threadId: ThreadID, filter: { operationId?: string } = {}): Promise<FileChangeRecord[]> {
    const rows = filter.operationId === undefined ? this.s.all!.all(threadId) : this.s.ofOp!.all(threadId, filter.operationId);
    return (rows as Row[]).map(fromRow);
  }

  async markReverted(seqs: number[], at: number): Promise<void> {
    this.db.transaction(() => {
      for (const seq of seqs) this.s.mark!.run(at, seq);
    })();
  }

  async removeThread(threadId: ThreadID): Promise<number> {
    return this.s.remove!.run(threadId).changes;
  }

  async putRecords(records: FileChangeRecord[]): Promise<void> {
    this.db.transaction(() => {
      for (const r of records)
        this.s.put!.run(r.seq, r.threadId, r.operationId, r.path, r.root, r.type, r.before ?? null, r.after ?? null, r.timestamp, r.threadV, r.reverted ?? null);
    })();
  }

  async blobStats(): Promise<BlobStats> {
    return this.s.blobStats!.get() as BlobStats;
  }

  async recordStats(): Promise<RecordStats[]> {
    return this.s.recordStats!.all() as RecordStats[];
  }
}
