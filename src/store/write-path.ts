/**
 * The write path: a caller's deltas become ops on the thread's current head (through the pure
 * core) and one commit, in the thread's queue, or through this store's writer when it holds
 * one. A write that lost a race with another process is redone on the new head. Creation
 * (with its link op on the parent, in the same transaction) goes through here too.
 */
import { VersionConflictError } from '../errors.js';
import { applyOp, createOp, foldOps } from '../model/apply.js';
import { newThreadId, type ThreadID } from '../model/ids.js';
import type { CreateFields, Delta, Thread, ThreadHead } from '../model/types.js';
import type { CommitBatch, StorageBackend } from './backend.js';
import { backendLookup, buildBatch, type Written } from './batch.js';
import type { StoreCore } from './core.js';
import { kindOf } from './policy.js';
import type { AppendOptions } from './types.js';

/** Commits a batch together with another thread's (creation and its parent's link). */
type CommitWith = (batch: CommitBatch, backend: StorageBackend) => Promise<void>;

/**
 * Completes `deltas` on the thread's current head and commits them; resolves with the new head
 * and the ops. Never reads the thread's messages (a truncation looks up the one it starts at).
 */
export function writeThread(core: StoreCore, id: ThreadID, deltas: Delta[], opts: AppendOptions, commit?: CommitWith): Promise<Written> {
  const writer = core.writers.get(id);
  if (writer) return writer.write(deltas, opts.expectedVersion, commit);
  return core.queues.run(id, async () => {
    for (let attempt = 0; ; attempt++) {
      // The memory tier's copy saves a read; the commit's version check catches a stale one.
      const cached = attempt === 0 ? core.cachedHead(id) : undefined;
      const { backend, head } = cached ?? (await core.mustLocate(id));
      if (opts.expectedVersion !== undefined && head.v !== opts.expectedVersion) {
        if (cached) continue;
        throw new VersionConflictError(id, opts.expectedVersion, head.v);
      }
      const now = core.now();
      const { batch, ops } = await buildBatch(head, deltas, { clientId: core.config.clientId, now, lookup: backendLookup(backend, head) });
      try {
        if (commit) await commit(batch, backend);
        else await backend.commit([batch], now);
      } catch (err) {
        // Another process wrote in between: try again on the new head (with an expected version,
        // only when the head came from memory: the fresh one decides).
        if (err instanceof VersionConflictError && (cached || (opts.expectedVersion === undefined && attempt < 5))) {
          core.cache.delete(id);
          continue;
        }
        throw err;
      }
      core.afterWrite(id, head, ops, batch);
      return { head: batch.head, ops };
    }
  });
}

/**
 * Creates a thread whose first ops are `deltas`, linking it from its parent/origin atomically: the
 * parent gets `link.delta(newId)` (a `child:link`, `summary:link`, `handoff:link` or `fork:link`).
 */
export async function createThread(
  core: StoreCore,
  fields: CreateFields,
  deltas: Delta[],
  link?: { parent: ThreadID; delta: (id: ThreadID) => Delta },
): Promise<Thread> {
  const id = newThreadId();
  const now = core.now();
  const policy = core.config.policies[kindOf(fields)];
  const backend = policy.local ? core.backend : core.ephemeral;
  if (!policy.local) core.ephemeralIds.add(id);
  const op0 = createOp(id, fields, { clientId: core.config.clientId, now });
  const { messages: _m, ...core0 } = applyOp(foldOps(id, []), op0);
  const head0: ThreadHead = { ...core0, messageCount: 0, updated: now };
  const { batch, ops } = await buildBatch(head0, deltas, { clientId: core.config.clientId, now, lookup: backendLookup(backend, head0) });
  const created = { ...batch, baseVersion: 0, ops: [op0, ...ops] };
  if (!link) {
    await backend.commit([created], now);
  } else {
    await writeThread(core, link.parent, [link.delta(id)], {}, async (parentBatch, parentBackend) => {
      if (parentBackend === backend) await backend.commit([created, parentBatch], now);
      else {
        await backend.commit([created], now);
        await parentBackend.commit([parentBatch], now);
      }
    });
  }
  const thread = foldOps(id, created.ops);
  // The memory tier keeps its own copy: it extends its threads in place (see core.afterWrite).
  core.remember(structuredClone(thread));
  core.events.emit('thread:created', structuredClone(thread));
  return thread;
}
