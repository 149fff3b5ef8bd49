/** The file record store over Maps, for `':memory:'` stores and stores on a custom backend. */
import type { ThreadID } from '../model/types.js';
import type { BlobStats, FileChangeRecord, FileRecordStore, RecordStats, StoredBlob } from './record-store.js';

/** See the module comment. */
export class MemoryFileRecordStore implements FileRecordStore {
  private readonly blobs = new Map<string, StoredBlob>();
  private readonly byThread = new Map<ThreadID, FileChangeRecord[]>();
  private seq = 0;

  async putBlob(blob: StoredBlob): Promise<boolean> {
    if (this.blobs.has(blob.hash)) return false;
    this.blobs.set(blob.hash, { hash: blob.hash, size: blob.size, gzip: new Uint8Array(blob.gzip) });
    return true;
  }

  async getBlob(hash: string): Promise<StoredBlob | undefined> {
    return this.blobs.get(hash);
  }

  async hasBlob(hash: string): Promise<boolean> {
    return this.blobs.has(hash);
  }

  async addRecord(record: Omit<FileChangeRecord, 'seq'>, blobs: StoredBlob[] = []): Promise<FileChangeRecord> {
    for (const b of blobs) await this.putBlob(b);
    const full: FileChangeRecord = { ...record, seq: ++this.seq };
    const list = this.byThread.get(record.threadId) ?? [];
    list.push(full);
    this.byThread.set(record.threadId, list);
    return { ...full };
  }

  async records(threadId: ThreadID, filter: { operationId?: string } = {}): Promise<FileChangeRecord[]> {
    const list = this.byThread.get(threadId) ?? [];
    return list.filter((r) => filter.operationId === undefined || r.operationId === filter.operationId).map((r) => ({ ...r }));
  }

  async markReverted(seqs: number[], at: number): Promise<void> {
    const want = new Set(seqs);
    for (const list of this.byThread.values()) for (const r of list) if (want.has(r.seq)) r.reverted = at;
  }

  async removeThread(threadId: ThreadID): Promise<number> {
    const n = this.byThread.get(threadId)?.length ?? 0;
    this.byThread.delete(threadId);
    return n;
  }

  async putRecords(records: FileChangeRecord[]): Promise<void> {
    for (const r of records) {
      const list = this.byThread.get(r.threadId) ?? [];
      if (list.some((x) => x.seq === r.seq)) continue;
      list.push({ ...r });
      list.sort((a, b) => a.seq - b.seq);
      this.byThread.set(r.threadId, list);
      if (r.seq > this.seq) this.seq = r.seq;
    }
  }

  async blobStats(): Promise<BlobStats> {
    const referenced = new Set<string>();
    for (const list of this.byThread.values())
      for (const r of list) {
        if (r.before) referenced.add(r.before);
        if (r.after) referenced.add(r.after);
      }
    const s: BlobStats = { blobs: 0, rawBytes: 0, storedBytes: 0, referencedRawBytes: 0, referencedStoredBytes: 0 };
    for (const b of this.blobs.values()) {
      s.blobs++;
      s.rawBytes += b.size;
      s.storedBytes += b.gzip.byteLength;
      if (referenced.has(b.hash)) {
        s.referencedRawBytes += b.size;
        s.referencedStoredBytes += b.gzip.byteLength;
      }
    }
    return s;
  }

  async recordStats(): Promise<RecordStats[]> {
    const size = (h: string | undefined) => (h === undefined ? 0 : (this.blobs.get(h)?.size ?? 0));
    return [...this.byThread.entries()]
      .filter(([, list]) => list.length > 0)
      .map(([threadId, list]) => ({ threadId, records: list.length, wholeBytes: list.reduce((n, r) => n + size(r.before) + size(r.after), 0) }));
  }
}
