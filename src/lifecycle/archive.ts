/**
 * Moving inactive threads to cold storage (seed: `archiveInactiveThreads`). For each thread whose
 * latest op is older than the cutoff: append an `archive` op (so the change syncs), write the
 * thread's archive entry (head, whole op log, file records and the contents they point at, with
 * a checksum), read it back and verify it, and only then evict the thread's ops and message rows
 * from the active tables. The head stays, so the thread still lists (with `archived`) and its
 * usage still counts. Nothing is deleted that is not in a verified archive entry.
 */
import { SkeinError, ErrorCode, ValidationError, fromUnknown } from '../errors.js';
import { BlobStore } from '../files/blob-store.js';
import type { FileRecordStore } from '../files/record-store.js';
import { parseCount } from '../model/schema.js';
import type { Delta, ThreadID } from '../model/types.js';
import type { StorageBackend } from '../store/backend.js';
import { decodeEntry, encodeEntry, type ArchiveEntry } from './archive-format.js';
import type { ArchiveStore } from './archive-store.js';

/** What archiving and restoring need from the store. */
export interface LifecycleHost {
  /** The local backend (threads under the `ephemeral` policy live elsewhere and are never archived). */
  backend: StorageBackend;
  records: FileRecordStore;
  archives: ArchiveStore;
  now(): number;
  /** Appends through the store's write path, so `archive` and `restore` are ops like any other. */
  append(id: ThreadID, delta: Delta): Promise<unknown>;
  /** Drops the memory tier's copy of a thread. */
  forget(id: ThreadID): void;
}

/** How far an archive run has got. */
export interface ArchiveProgress {
  done: number;
  total: number;
  archived: number;
  skipped: number;
}

/** Options of `archiveInactiveThreads`. */
export interface ArchiveOptions {
  /** Archive threads whose latest op is older than this (default 30 days). */
  olderThanMs?: number;
  /** Called after each batch of threads (and once before the first). */
  onProgress?: (progress: ArchiveProgress) => void;
}

/** What an archive run did: threads archived, and threads left active with the reason. */
export interface ArchiveResult {
  archived: ThreadID[];
  skipped: { id: ThreadID; reason: string }[];
}

/** The seed's 30 days. */
export const DEFAULT_ARCHIVE_AGE_MS = 30 * 24 * 60 * 60 * 1000;

// Entries of a batch are made durable with one directory sync, then evicted.
const BATCH = 64;
const PAGE = 1000;

class Skip extends Error {}

/** The archive entry of an active thread as it is now. */
async function entryOf(host: LifecycleHost, id: ThreadID): Promise<ArchiveEntry> {
  const head = await host.backend.getHead(id);
  if (!head) throw new Skip('the thread is gone');
  const ops = await host.backend.ops(id, 0, head.v);
  const files = await host.records.records(id);
  const blobs = new BlobStore(host.records);
  const hashes = new Set(files.flatMap((f) => [f.before, f.after]).filter((h): h is string => h !== undefined));
  const contents: ArchiveEntry['blobs'] = [];
  for (const hash of hashes) contents.push({ hash, data: (await blobs.get(hash)).toString('base64') });
  return { head, ops, files, blobs: contents };
}

/** Appends the `archive` op and encodes the thread's entry; the version it holds is `head.v`. */
async function prepare(host: LifecycleHost, id: ThreadID, cutoff: number): Promise<{ id: ThreadID; v: number; bytes: Buffer; entry: ArchiveEntry }> {
  const head = await host.backend.getHead(id);
  if (!head) throw new Skip('the thread is gone');
  if ((await host.backend.evicted(id)) !== undefined) throw new Skip('already archived');
  if (head.updated >= cutoff) throw new Skip('active since the cutoff');
  const lease = await host.backend.lease(id);
  if (lease && lease.expires > host.now()) throw new Skip('held by a writer');
  await host.append(id, { type: 'archive' });
  try {
    const entry = await entryOf(host, id);
    return { id, v: entry.head.v, bytes: encodeEntry(entry), entry };
  } catch (err) {
    throw await undoArchive(host, id, err);
  }
}

/**
 * The thread could not be archived after its `archive` op was appended: a `restore` op follows it,
 * so that the thread, which stays active, does not show (here and on every synced device) as
 * archived. Answers the error to report, saying so when the undo failed too.
 */
async function undoArchive(host: LifecycleHost, id: ThreadID, cause: unknown): Promise<unknown> {
  try {
    await host.append(id, { type: 'restore' });
    return cause;
  } catch (undoErr) {
    return new SkeinError(
      ErrorCode.INTERNAL,
      `${reasonOf(cause)}; marking the thread active again failed too (${fromUnknown(undoErr).message}): run skein restore ${id} once the cause is fixed`,
      { cause },
    );
  }
}

/** Reads an entry back after it was written and checks it decodes to what was written. */
async function verify(host: LifecycleHost, id: ThreadID, entry: ArchiveEntry): Promise<void> {
  const back = await host.archives.get(id);
  if (!back) throw new SkeinError(ErrorCode.INTERNAL, `archive entry ${host.archives.where(id)} vanished after it was written`);
  const read = decodeEntry(id, back);
  if (read.head.v !== entry.head.v || read.files.length !== entry.files.length || read.blobs.length !== entry.blobs.length)
    throw new SkeinError(ErrorCode.INTERNAL, `archive entry ${host.archives.where(id)} does not read back as written`);
}

function reasonOf(err: unknown): string {
  if (err instanceof Skip) return err.message;
  const e = fromUnknown(err);
  return e.code === ErrorCode.THREAD_BUSY ? 'held by a writer' : e.message;
}

/** See the module comment. Threads held by a writer, or written to meanwhile, are skipped and reported. */
export async function archiveInactiveThreads(host: LifecycleHost, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const olderThanMs = parseCount(options.olderThanMs ?? DEFAULT_ARCHIVE_AGE_MS, 'olderThanMs');
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new ValidationError('onProgress', 'must be a function');
  const cutoff = host.now() - olderThanMs;
  const ids: ThreadID[] = [];
  for (let page = await host.backend.inactiveThreads({ updatedBefore: cutoff, limit: PAGE }); ; ) {
    ids.push(...page);
    if (page.length < PAGE) break;
    page = await host.backend.inactiveThreads({ updatedBefore: cutoff, limit: PAGE, after: page.at(-1)! });
  }
  const result: ArchiveResult = { archived: [], skipped: [] };
  const report = (done: number) => onProgress?.({ done, total: ids.length, archived: result.archived.length, skipped: result.skipped.length });
  report(0);
  for (let i = 0; i < ids.length; i += BATCH) {
    const ready: Awaited<ReturnType<typeof prepare>>[] = [];
    for (const id of ids.slice(i, i + BATCH)) {
      try {
        ready.push(await prepare(host, id, cutoff));
      } catch (err) {
        result.skipped.push({ id, reason: reasonOf(err) });
      }
    }
    // Writing a batch's entries at once lets the file system sync them together.
    const written = await Promise.allSettled(ready.map((r) => host.archives.put(r.id, r.bytes)));
    const flushed = await host.archives.flush().then(
      () => undefined,
      (err: unknown) => err,
    );
    for (const [j, { id, v, entry }] of ready.entries()) {
      try {
        const w = written[j]!;
        if (w.status === 'rejected') throw w.reason;
        if (flushed !== undefined) throw flushed;
        await verify(host, id, entry);
        await host.backend.evict(id, v, host.now());
      } catch (err) {
        // No verified entry, or the thread changed after it was written: it stays active, and a stale entry goes.
        await host.archives.delete(id).catch(() => undefined);
        result.skipped.push({ id, reason: reasonOf(await undoArchive(host, id, err)) });
        continue;
      }
      host.forget(id);
      await host.records.removeThread(id);
      result.archived.push(id);
    }
    report(Math.min(ids.length, i + BATCH));
  }
  return result;
}
