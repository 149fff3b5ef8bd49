/**
 * Mention links (DESIGN section 6, "Thread map"): a message naming `T-<id>` (or `@T-<id>`) links
 * the named thread back to it with a `mention:link` op on the named thread. Every write path that
 * makes messages from a caller's deltas links them (`store.append`, `writer.apply`,
 * `writer.modify`, and so the importers, which append); ops copied as they are (sync, a skein
 * JSONL import) are not linked again: their links travel as ops of their own.
 *
 * The links are written in the message's own transaction whenever the named thread is free to
 * take them: in the same backend, not held by a writer (in this process or another), not
 * archived. Any other named thread is linked right after the commit, one by one, and a failure
 * there never undoes or fails the write that was committed. A private thread links nothing: its
 * id would show on the named thread, to readers who may not see it.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { hasLink, mentionedThreadIds } from '../model/links.js';
import { isMessageOp } from '../model/op-kinds.js';
import type { Delta, Op, ThreadHead } from '../model/types.js';
import type { CommitBatch, StorageBackend } from './backend.js';
import { backendLookup, buildBatch } from './batch.js';
import type { StoreCore } from './core.js';
import { writeThread } from './write-path.js';

/** The commit a write path hands down, and what is left to do once the write resolved. */
export interface MentionWrite {
  commit(batch: CommitBatch, backend: StorageBackend): Promise<void>;
  /** Links the named threads the commit could not, one by one; resolves with every thread linked. */
  after(): Promise<ThreadID[]>;
}

/** Named thread -> the ids of the messages that name it, for a write's ops (none for a private thread). */
function mentionsOf(id: ThreadID, ops: readonly Op[], head: ThreadHead): Map<ThreadID, string[]> {
  const out = new Map<ThreadID, string[]>();
  if (head.visibility === 'private') return out;
  for (const op of ops) {
    if (!isMessageOp(op)) continue;
    for (const target of mentionedThreadIds(op.message.content)) {
      if (target === id) continue;
      const list = out.get(target) ?? [];
      list.push(op.message.id);
      out.set(target, list);
    }
  }
  return out;
}

/** The `mention:link` deltas `target` still lacks. */
function missing(target: ThreadHead, id: ThreadID, messageIds: string[]): Delta[] {
  return messageIds
    .filter((messageId) => !hasLink(target.links, { rel: 'mention', threadId: id, messageId }))
    .map((messageId) => ({ type: 'mention:link', threadId: id, messageId }));
}

/** Errors that mean "a named thread changed or was taken meanwhile", not that the message is bad. */
const RACES: ReadonlySet<string> = new Set([ErrorCode.VERSION_CONFLICT, ErrorCode.THREAD_BUSY, ErrorCode.ARCHIVED, ErrorCode.NOT_FOUND]);

/** See the module comment. One per write of thread `id`. */
export function mentionWrite(core: StoreCore, id: ThreadID): MentionWrite {
  let later = new Map<ThreadID, string[]>();
  return {
    async commit(batch, backend) {
      const now = core.now();
      const named = mentionsOf(id, batch.ops, batch.head);
      // Called again when the write path retries: start over.
      later = new Map();
      const joined: { before: ThreadHead; batch: CommitBatch; ops: Op[] }[] = [];
      for (const [target, messageIds] of named) {
        // Held by a writer of this store (its queue keeps its copy), or kept in another backend.
        if (core.writers.has(target) || core.ephemeralIds.has(target)) {
          later.set(target, messageIds);
          continue;
        }
        const head = await backend.getHead(target);
        if (!head) {
          later.set(target, messageIds); // maybe on the server: looked up after the commit
          continue;
        }
        if (head.archived !== undefined) continue; // takes no ops until restored: not linked
        const lease = await backend.lease(target);
        if (lease && lease.expires > now) {
          later.set(target, messageIds);
          continue;
        }
        const deltas = missing(head, id, messageIds);
        if (deltas.length === 0) continue;
        const built = await buildBatch(head, deltas, { clientId: core.config.clientId, now, lookup: backendLookup(backend, head) });
        joined.push({ before: head, ...built });
      }
      if (joined.length > 0) {
        try {
          await backend.commit([batch, ...joined.map((j) => j.batch)], now);
        } catch (err) {
          if (!(err instanceof SkeinError && RACES.has(err.code))) throw err;
          // A named thread changed or was taken since it was read: the message goes alone (if it
          // was its own thread that changed, this throws again and the write path retries).
          await backend.commit([batch], now);
          for (const j of joined) later.set(j.batch.threadId, named.get(j.batch.threadId)!);
          return;
        }
        for (const j of joined) core.afterWrite(j.batch.threadId, j.before, j.ops, true, j.batch);
      } else await backend.commit([batch], now);
    },

    async after() {
      const linked: ThreadID[] = [];
      for (const [target, messageIds] of later) {
        try {
          const found = await core.locate(target);
          // Unknown, or archived (it takes no ops until restored): not linked.
          if (!found || found.head.archived !== undefined) continue;
          const deltas = missing(found.head, id, messageIds);
          if (deltas.length === 0) continue;
          await writeThread(core, target, deltas, {});
          linked.push(target);
        } catch {
          // The message is committed and stays: a named thread held by another process's writer
          // (THREAD_BUSY), archived or gone since, or failing to write, goes without this link.
        }
      }
      later = new Map();
      return linked;
    },
  };
}
