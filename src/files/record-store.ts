/**
 * Where file change records and the content blobs they point at are kept: a small contract of its
 * own beside the thread storage contract, so that `StorageBackend` stays small. The local store
 * keeps them in its SQLite database (they survive restarts); `':memory:'` stores keep them in Maps.
 */
import type { ThreadID } from '../model/types.js';

/** What a tool did to a file. */
export type FileChangeType = 'create' | 'modify' | 'delete';

/** One recorded file change (seed: `FileChangeRecord`), contents by hash. */
export interface FileChangeRecord {
  /** Order of recording across the store: rollback goes newest (highest) first. */
  seq: number;
  threadId: ThreadID;
  operationId: string;
  /** Relative to `root`, `/`-separated. */
  path: string;
  /** The workspace root the path was resolved in when it was recorded (absolute, real). */
  root: string;
  type: FileChangeType;
  /** sha256 of the bytes on disk before the change; absent when the file did not exist. */
  before?: string;
  /** sha256 of the bytes the tool was about to write; absent when it deleted the file. */
  after?: string;
  timestamp: number;
  /** The thread's version when the change was recorded (rewind reverts from a version on). */
  threadV: number;
  /** When a rollback or rewind reverted this change. */
  reverted?: number;
}

/** A stored blob: gzip of the raw bytes, with the raw size. */
export interface StoredBlob {
  hash: string;
  size: number;
  gzip: Uint8Array;
}

/** Sizes of the blob table, for `du`. */
export interface BlobStats {
  /** Distinct contents stored. */
  blobs: number;
  /** Their raw bytes and their compressed bytes. */
  rawBytes: number;
  storedBytes: number;
  /** Raw bytes of the blobs some record still points at (the rest belong to archived threads). */
  referencedRawBytes: number;
  referencedStoredBytes: number;
}

/** Per thread: its records and the bytes they would take if every before and after were kept whole. */
export interface RecordStats {
  threadId: ThreadID;
  records: number;
  wholeBytes: number;
}

/** The contract. Every method that writes is atomic. */
export interface FileRecordStore {
  /** Stores a blob unless one with this hash is there; true when it was new. */
  putBlob(blob: StoredBlob): Promise<boolean>;
  getBlob(hash: string): Promise<StoredBlob | undefined>;
  hasBlob(hash: string): Promise<boolean>;
  /** Adds a record and the blobs it needs (those not stored yet), in one transaction; assigns `seq`. */
  addRecord(record: Omit<FileChangeRecord, 'seq'>, blobs?: StoredBlob[]): Promise<FileChangeRecord>;
  /** A thread's records in `seq` order, optionally of one operation only. */
  records(threadId: ThreadID, filter?: { operationId?: string }): Promise<FileChangeRecord[]>;
  /** Marks records as reverted at `at`. */
  markReverted(seqs: number[], at: number): Promise<void>;
  /** Deletes a thread's records (its archive holds them); blobs stay, other records may share them. */
  removeThread(threadId: ThreadID): Promise<number>;
  /** Puts records back as they were, `seq` included; a record already there is left as it is. */
  putRecords(records: FileChangeRecord[]): Promise<void>;
  blobStats(): Promise<BlobStats>;
  recordStats(): Promise<RecordStats[]>;
}
