/**
 * The store's file tracking and cold storage, put together in one place so that the store only
 * delegates: the file record store beside the thread backend, the archive store under the store
 * directory (or in memory), the `FileTracker` behind `store.files`, and archive, restore and
 * disk-usage runs.
 */
import { join } from 'node:path';
import { FileTracker } from '../files/file-tracker.js';
import type { FileRecordStore } from '../files/record-store.js';
import type { Delta, Op, ThreadHead, ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import type { ColdStorage } from '../store/ports.js';
import { archiveInactiveThreads, type ArchiveOptions, type ArchiveResult, type LifecycleHost } from './archive.js';
import type { ArchiveEntry } from './archive-format.js';
import { FileArchiveStore, MemoryArchiveStore, type ArchiveStore } from './archive-store.js';
import { diskUsage, type DiskUsage } from './disk-usage.js';
import { readArchived, restoreThread } from './restore.js';

/** What the store hands in. */
export interface LifecycleDeps {
  /** The local backend. */
  backend: StorageBackend;
  /** Where file change records and blobs are kept (beside the backend). */
  records: FileRecordStore;
  /** The store directory (archives go to `<dir>/archive`), undefined for a memory store. */
  dir: string | undefined;
  workspace: string | undefined;
  now(): number;
  append(id: ThreadID, delta: Delta): Promise<unknown>;
  forget(id: ThreadID): void;
  /** A thread's head wherever it lives (memory-only threads included). */
  head(id: ThreadID): Promise<ThreadHead | undefined>;
  history(id: ThreadID): Promise<Op[]>;
}

/** See the module comment. Implements the store's `ColdStorage` port. */
export class Lifecycle implements ColdStorage {
  readonly records: FileRecordStore;
  readonly archives: ArchiveStore;
  readonly files: FileTracker;
  private readonly host: LifecycleHost;

  constructor(private readonly deps: LifecycleDeps) {
    this.records = deps.records;
    this.archives = deps.dir === undefined ? new MemoryArchiveStore() : new FileArchiveStore(join(deps.dir, 'archive'));
    this.host = { backend: deps.backend, records: this.records, archives: this.archives, now: deps.now, append: deps.append, forget: deps.forget };
    this.files = new FileTracker({
      records: this.records,
      workspace: deps.workspace,
      now: deps.now,
      history: deps.history,
      thread: async (id) => {
        const head = await deps.head(id);
        return head && { head, evicted: await this.isEvicted(head) };
      },
    });
  }

  /** True when the thread's ops are in cold storage (only the local backend evicts). */
  async isEvicted(head: ThreadHead): Promise<boolean> {
    return head.archived !== undefined && (await this.deps.backend.evicted(head.id)) !== undefined;
  }

  /** The verified archive entry of an evicted thread. */
  archived(id: ThreadID): Promise<ArchiveEntry> {
    return readArchived(this.host, id);
  }

  /** Archives inactive threads (see `Store.archiveInactiveThreads`). */
  archive(options?: ArchiveOptions): Promise<ArchiveResult> {
    return archiveInactiveThreads(this.host, options);
  }

  /** Brings an archived thread back (see `Store.restoreThread`). */
  restore(id: ThreadID): Promise<void> {
    return restoreThread(this.host, id);
  }

  /** Bytes by thread and kind (see `Store.diskUsage`). */
  diskUsage(): Promise<DiskUsage> {
    return diskUsage(this.host);
  }
}
