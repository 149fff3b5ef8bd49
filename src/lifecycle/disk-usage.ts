/**
 * Where a store's bytes go (`skein du`): per thread, its op log, its file changes and its archive
 * entry; for file contents, what deduplication and compression save against keeping every
 * before and after whole; for archives, what compression saves.
 */
import type { ThreadID } from '../model/types.js';
import { kindOf, type ThreadKind } from '../store/policy.js';
import type { LifecycleHost } from './archive.js';
import { readHeader } from './archive-format.js';

/** One thread's bytes. */
export interface ThreadUsage {
  id: ThreadID;
  kind: ThreadKind;
  archived: boolean;
  /** JSON bytes of its op log in the active tables (0 while archived). */
  opsBytes: number;
  /** Its file change records and the bytes their before and after contents take whole. */
  fileChanges: number;
  fileBytes: number;
  /** Size of its archive entry (0 when not archived). */
  archiveBytes: number;
}

/** Totals of one kind of thread. */
export interface KindUsage {
  threads: number;
  opsBytes: number;
  fileBytes: number;
  archiveBytes: number;
}

/** What `du` reports. */
export interface DiskUsage {
  threads: ThreadUsage[];
  byKind: Record<ThreadKind, KindUsage>;
  blobs: {
    /** Distinct contents stored, and their bytes as stored (compressed). */
    count: number;
    storedBytes: number;
    /** What keeping every recorded before and after whole would take. */
    wholeBytes: number;
    savedByDedupe: number;
    savedByCompression: number;
    /** Contents no active record points at (their archived threads' entries hold copies). */
    unreferencedBytes: number;
  };
  /** `corrupted`: entries whose header cannot be read (restoring them would fail). */
  archive: { entries: number; bytes: number; uncompressedBytes: number; saved: number; corrupted: ThreadID[] };
}

/** See the module comment. */
export async function diskUsage(host: LifecycleHost): Promise<DiskUsage> {
  const b = host.backend;
  const records = new Map((await host.records.recordStats()).map((r) => [r.threadId, r]));
  const archiveSizes = await host.archives.sizes();
  const threads: ThreadUsage[] = [];
  const snapshot = await b.maxSeq();
  for (let below: number | undefined; ; ) {
    const page = await b.listThreads({ limit: 500, snapshot, ...(below !== undefined && { below }) });
    for (const { head } of page) {
      const archived = (await b.evicted(head.id)) !== undefined;
      const ops = archived ? [] : await b.ops(head.id, 0, head.v);
      const rec = records.get(head.id);
      threads.push({
        id: head.id,
        kind: kindOf(head),
        archived,
        opsBytes: ops.reduce((n, op) => n + Buffer.byteLength(JSON.stringify(op)), 0),
        fileChanges: rec?.records ?? 0,
        fileBytes: rec?.wholeBytes ?? 0,
        archiveBytes: archiveSizes.get(head.id) ?? 0,
      });
    }
    if (page.length < 500) break;
    below = page.at(-1)!.activity;
  }
  const byKind = Object.fromEntries(
    (['main', 'subagent', 'summary'] as const).map((k) => [k, { threads: 0, opsBytes: 0, fileBytes: 0, archiveBytes: 0 }]),
  ) as Record<ThreadKind, KindUsage>;
  for (const t of threads) {
    const k = byKind[t.kind];
    k.threads++;
    k.opsBytes += t.opsBytes;
    k.fileBytes += t.fileBytes;
    k.archiveBytes += t.archiveBytes;
  }
  const s = await host.records.blobStats();
  const wholeBytes = [...records.values()].reduce((n, r) => n + r.wholeBytes, 0);
  let uncompressed = 0;
  let archiveBytes = 0;
  const corrupted: ThreadID[] = [];
  for (const [id, size] of archiveSizes) {
    archiveBytes += size;
    const bytes = await host.archives.get(id);
    try {
      if (bytes) uncompressed += readHeader(id, bytes).rawBytes;
    } catch {
      corrupted.push(id);
    }
  }
  return {
    threads,
    byKind,
    blobs: {
      count: s.blobs,
      storedBytes: s.storedBytes,
      wholeBytes,
      savedByDedupe: wholeBytes - s.referencedRawBytes,
      savedByCompression: s.referencedRawBytes - s.referencedStoredBytes,
      unreferencedBytes: s.storedBytes - s.referencedStoredBytes,
    },
    archive: { entries: archiveSizes.size, bytes: archiveBytes, uncompressedBytes: uncompressed, saved: uncompressed - archiveBytes, corrupted },
  };
}
