/**
 * Bringing an archived thread back (seed: `restoreThread`), and reading one without restoring it.
 * The entry's checksum and contents are verified before anything is written; then file contents,
 * file records and the op log with its message rows are put back, a `restore` op is appended (so
 * the change syncs) and the entry is deleted. Each step can be run again after a crash.
 */
import { SkeinError, ErrorCode, notFound } from '../errors.js';
import { BlobStore, sha256 } from '../files/blob-store.js';
import type { ThreadID } from '../model/types.js';
import { replayView } from '../store/replay.js';
import type { LifecycleHost } from './archive.js';
import { decodeEntry, type ArchiveEntry } from './archive-format.js';

/** The verified archive entry of an evicted thread; NOT_FOUND when there is none, INTERNAL when it is damaged. */
export async function readArchived(host: LifecycleHost, id: ThreadID): Promise<ArchiveEntry> {
  const bytes = await host.archives.get(id);
  if (!bytes) throw notFound(`archive entry of thread ${id} (${host.archives.where(id)})`);
  return decodeEntry(id, bytes);
}

/** See the module comment. VALIDATION when the thread is not archived. */
export async function restoreThread(host: LifecycleHost, id: ThreadID): Promise<void> {
  const head = await host.backend.getHead(id);
  if (!head) throw notFound(`thread ${id}`);
  if ((await host.backend.evicted(id)) === undefined) {
    // Not evicted: an earlier restore stopped after putting the log back, or the thread was only
    // marked archived (an `archive` op, perhaps from another device). Finish the job.
    const leftover = await host.archives.get(id);
    if (head.archived === undefined && !leftover) throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is not archived`, { details: { threadId: id } });
    if (head.archived !== undefined) await host.append(id, { type: 'restore' });
    if (leftover) await host.archives.delete(id);
    return;
  }
  const entry = await readArchived(host, id);
  if (entry.head.v !== head.v)
    throw new SkeinError(ErrorCode.INTERNAL, `the archive entry of thread ${id} holds version ${entry.head.v}, the thread is at ${head.v}; it was not restored`, {
      details: { threadId: id, corrupted: true },
    });
  const contents = entry.blobs.map((b) => ({ hash: b.hash, raw: Buffer.from(b.data, 'base64') }));
  const bad = contents.find((c) => sha256(c.raw) !== c.hash);
  if (bad)
    throw new SkeinError(ErrorCode.INTERNAL, `the archive entry of thread ${id} holds damaged file content ${bad.hash.slice(0, 12)}; it was not restored`, {
      details: { threadId: id, corrupted: true },
    });
  const blobs = new BlobStore(host.records);
  for (const c of contents) await blobs.put(c.raw);
  await host.records.putRecords(entry.files);
  await host.backend.reinstate(id, entry.ops, replayView(id, entry.ops).rows);
  host.forget(id);
  await host.append(id, { type: 'restore' });
  await host.archives.delete(id);
}
