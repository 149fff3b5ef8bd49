/**
 * Mention links (DESIGN section 6, "Thread map"): a message naming `T-<id>` (or `@T-<id>`) links
 * the named thread back to it with a `mention:link` op on the named thread. Every write path that
 * makes messages from a caller's deltas links them (`store.append`, `writer.apply`,
 * `writer.modify`, and so the importers, which append); ops copied as they are (sync, a skein
 * JSONL import) are not linked again: their links travel as ops of their own.
 *
 * The links are written in the message's own transaction whenever the named thread is free to
 * take them: in the same backend, not held by a writer (in this process or another), not
 * archived. Every other link is queued in that same transaction (`CommitBatch.mentions`, a
 * `pending_mentions` row), so that neither a busy thread nor a crash right after the commit loses
 * it, and the queue is drained: right after the commit, when a store opens, and on later writes,
 * at most `DRAIN_LIMIT` entries a time, going round the queue so that entries that must wait do
 * not starve the rest. An entry goes when its link is written or never can be: its thread is
 * unknown to every tier (gone, or a name that was never a thread) or already has the link. An
 * entry whose thread is busy (THREAD_BUSY, changed meanwhile) or archived stays until a later
 * drain: an archived thread is linked once restored. A failure there never undoes or fails the
 * write that was committed. A private thread links (and queues) nothing: its id would show on the
 * named thread, to readers who may not see it.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { missingLinks, showsLink, type StoredLink } from '../model/bounded-links.js';
import { mentionedThreadIds } from '../model/links.js';
import { isMessageOp } from '../model/op-kinds.js';
import type { Delta, Op, ThreadHead } from '../model/types.js';
import type { CommitBatch, PendingMention, StorageBackend } from './backend.js';
import { backendLookup, buildBatch } from './batch.js';
import type { StoreCore } from './core.js';
import { writeThread } from './write-path.js';

/** Queue entries one drain looks at, per backend. */
export const DRAIN_LIMIT = 50;

/** The commit a write path hands down, and what is left to do once the write resolved. */
export interface MentionWrite {
  commit(batch: CommitBatch, backend: StorageBackend): Promise<void>;
  /** Drains the queue of links still to write (this write's first); resolves with the threads linked. */
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

/**
 * The `mention:link` deltas `target` still lacks: those its head does not show, less those kept
 * beside it when its head shows only the first few links (model/bounded-links.ts).
 */
async function missing(backend: StorageBackend, target: ThreadHead, mentions: { threadId: ThreadID; messageId: string }[]): Promise<Delta[]> {
  const wanted = mentions.map((m): StoredLink => ({ rel: 'mention', ...m })).filter((l) => !showsLink(target, l));
  const ask = missingLinks(target, wanted);
  const stored = new Set((ask.length > 0 ? await backend.threadLinks(target.id, ask) : []).map((l) => `${l.threadId} ${l.messageId}`));
  return wanted
    .filter((l) => !stored.has(`${l.threadId} ${l.messageId}`))
    .map((l) => ({ type: 'mention:link', threadId: l.threadId, messageId: l.messageId! }));
}

/** Errors that mean "a named thread changed or was taken meanwhile", not that the message is bad. */
const RACES: ReadonlySet<string> = new Set([ErrorCode.VERSION_CONFLICT, ErrorCode.THREAD_BUSY, ErrorCode.ARCHIVED, ErrorCode.NOT_FOUND]);

/** See the module comment. One per write of thread `id`. */
export function mentionWrite(core: StoreCore, id: ThreadID): MentionWrite {
  return {
    async commit(batch, backend) {
      const now = core.now();
      const named = mentionsOf(id, batch.ops, batch.head);
      // Called again when the write path retries: starts over.
      const later = new Map<ThreadID, string[]>();
      const queued = (): CommitBatch => {
        if (later.size === 0) return batch;
        drainState(core).maybe = true;
        const mentions: PendingMention[] = [...later].flatMap(([target, ids]) => ids.map((messageId) => ({ target, threadId: id, messageId })));
        return { ...batch, mentions };
      };
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
        if (head.archived !== undefined) {
          later.set(target, messageIds); // takes no ops until restored: queued
          continue;
        }
        const lease = await backend.lease(target);
        if (lease && lease.expires > now) {
          later.set(target, messageIds);
          continue;
        }
        const deltas = await missing(backend, head, messageIds.map((messageId) => ({ threadId: id, messageId })));
        if (deltas.length === 0) continue;
        const built = await buildBatch(head, deltas, { clientId: core.config.clientId, now, lookup: backendLookup(backend, head) });
        joined.push({ before: head, ...built });
      }
      if (joined.length > 0) {
        try {
          await backend.commit([queued(), ...joined.map((j) => j.batch)], now);
        } catch (err) {
          if (!(err instanceof SkeinError && RACES.has(err.code))) throw err;
          // A named thread changed or was taken since it was read: the message goes alone, its
          // links queued (if it was its own thread that changed, this throws again and the write
          // path retries).
          for (const j of joined) later.set(j.batch.threadId, named.get(j.batch.threadId)!);
          await backend.commit([queued()], now);
          return;
        }
        for (const j of joined) core.afterWrite(j.batch.threadId, j.before, j.ops, j.batch);
      } else await backend.commit([queued()], now);
    },

    after: () => drainMentions(core),
  };
}

/** Where a store's drains stand: serialized, one cursor per backend, skipped while the queue is known empty. */
interface DrainState {
  /** The queue may hold entries (unknown until a drain found it empty). */
  maybe: boolean;
  cursors: Map<StorageBackend, number>;
  chain: Promise<ThreadID[]>;
  /** Named threads no tier here holds whose lookup on the server failed: not asked again by this store. */
  unreachable: Set<ThreadID>;
}

const states = new WeakMap<StoreCore, DrainState>();

function drainState(core: StoreCore): DrainState {
  let s = states.get(core);
  if (!s) states.set(core, (s = { maybe: true, cursors: new Map(), chain: Promise.resolve([]), unreachable: new Set() }));
  return s;
}

/**
 * Writes queued mention links (see the module comment): up to `DRAIN_LIMIT` entries of each
 * backend of the store, after the last drain's place. Never fails; resolves with the threads linked.
 */
export function drainMentions(core: StoreCore): Promise<ThreadID[]> {
  const s = drainState(core);
  if (!s.maybe) return Promise.resolve([]);
  s.chain = s.chain.then(
    () => drainOnce(core, s),
    () => drainOnce(core, s),
  );
  return s.chain.catch(() => []);
}

async function drainOnce(core: StoreCore, s: DrainState): Promise<ThreadID[]> {
  if (core.closed) return [];
  const linked: ThreadID[] = [];
  let left = false;
  for (const backend of new Set([core.backend, core.ephemeral])) {
    const cursor = s.cursors.get(backend) ?? 0;
    const entries = await backend.pendingMentions(cursor, DRAIN_LIMIT);
    const done: number[] = [];
    const byTarget = new Map<ThreadID, (PendingMention & { seq: number })[]>();
    for (const e of entries) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
    for (const [target, list] of byTarget) {
      const outcome = await settle(core, s, target, list);
      if (outcome === 'kept') left = true;
      else {
        done.push(...list.map((e) => e.seq));
        if (outcome === 'linked') linked.push(target);
      }
    }
    if (done.length > 0) await backend.dropMentions(done);
    // Round the queue: from the start again once its end was reached.
    const end = entries.length < DRAIN_LIMIT;
    s.cursors.set(backend, end ? 0 : entries[entries.length - 1]!.seq);
    if (!end || cursor > 0) left = true;
  }
  s.maybe = left;
  return linked;
}

/** Writes one named thread's queued links: `linked`, `dropped` (never to be written) or `kept` (for a later drain). */
async function settle(core: StoreCore, s: DrainState, target: ThreadID, entries: PendingMention[]): Promise<'linked' | 'dropped' | 'kept'> {
  if (s.unreachable.has(target)) {
    // Asked of this replica's tiers only (a pull may have stored it since).
    const here = (await core.ephemeral.getHead(target).catch(() => undefined)) ?? (await core.backend.getHead(target).catch(() => undefined));
    if (!here) return 'kept';
    s.unreachable.delete(target);
  }
  let found;
  try {
    found = await core.locate(target);
  } catch {
    // Not held here, and the server did not answer: kept, but not looked up again until the next open.
    s.unreachable.add(target);
    return 'kept';
  }
  try {
    if (!found) return 'dropped'; // gone, or never a thread
    if (found.head.archived !== undefined) return 'kept'; // takes no ops until restored
    const ops = await missing(found.backend, found.head, entries);
    if (ops.length === 0) return 'dropped';
    // Written on the head just read: a drain elsewhere that wrote them first makes this a conflict
    // (kept, then dropped by the next drain, which sees the links), never a second link op.
    await writeThread(core, target, ops, { expectedVersion: found.head.v });
    return 'linked';
  } catch {
    // Held by another process's writer (THREAD_BUSY), changed meanwhile, or failing to write: later.
    return 'kept';
  }
}
