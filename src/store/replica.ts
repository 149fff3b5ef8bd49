/**
 * The local replica as the sync engine sees it (the `SyncReplica` port): the local log, and the
 * three changes only sync makes (server ops on top, a rebased log, a thread arriving whole).
 * Each runs through the thread's writer when this store holds one, else in the thread's queue.
 * Made by the composition root; these methods are not on the public `Store`.
 */
import { ValidationError, VersionConflictError } from '../errors.js';
import { applyOps, foldOps } from '../model/apply.js';
import type { ThreadID } from '../model/ids.js';
import type { Op, ThreadHead } from '../model/types.js';
import { batchFromOps, storedLookup } from './batch.js';
import type { StoreCore } from './core.js';
import type { PersistencePolicy, ThreadKind } from './policy.js';
import type { SyncReplica } from './ports.js';
import { replayView } from './replay.js';

/** See the module comment. */
export class StoreReplica implements SyncReplica {
  constructor(private readonly core: StoreCore) {}

  get clientId(): string {
    return this.core.config.clientId;
  }

  get policies(): Record<ThreadKind, PersistencePolicy> {
    return this.core.config.policies;
  }

  onChange(listener: (id: ThreadID) => void): () => void {
    const onUpdate = (e: { id: ThreadID }) => listener(e.id);
    const onCreate = (t: { id: ThreadID }) => listener(t.id);
    this.core.events.on('thread:updated', onUpdate);
    this.core.events.on('thread:created', onCreate);
    return () => {
      this.core.events.off('thread:updated', onUpdate);
      this.core.events.off('thread:created', onCreate);
    };
  }

  async *threadIds(): AsyncIterable<ThreadID> {
    const snapshot = await this.core.backend.maxSeq();
    for (let below = Number.MAX_SAFE_INTEGER; ; ) {
      const rows = await this.core.backend.listThreads({ limit: 500, snapshot, below });
      for (const r of rows) yield r.head.id;
      if (rows.length < 500) return;
      below = rows.at(-1)!.activity;
    }
  }

  localHead(id: ThreadID): Promise<ThreadHead | undefined> {
    return this.core.backend.getHead(id);
  }

  ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]> {
    return this.core.backend.ops(id, fromVersion, toVersion);
  }

  async opTexts(id: ThreadID, fromVersion: number, toVersion: number): Promise<{ v: number; text: string }[]> {
    const backend = this.core.backend;
    if (backend.opTexts) return backend.opTexts(id, fromVersion, toVersion);
    return (await backend.ops(id, fromVersion, toVersion)).map((op) => ({ v: op.v, text: JSON.stringify(op) }));
  }

  async applyRemoteOps(id: ThreadID, ops: Op[]): Promise<void> {
    const core = this.core;
    core.open();
    await core.changeThread(id, async (fence, current) => {
      const { backend, head } = await core.mustLocate(id);
      const expected = ops[0]!.v - 1;
      if (head.v !== expected) throw new VersionConflictError(id, expected, head.v);
      if (ops.some((op, i) => op.v !== expected + 1 + i || op.threadId !== id))
        throw new ValidationError('ops', `must be consecutive versions of ${id} from ${expected + 1}`);
      const now = core.now();
      await backend.commit([await batchFromOps(head, ops, now, fence, storedLookup(backend, id))], now);
      core.afterWrite(id, head, ops);
      return current && applyOps(current, ops);
    });
  }

  async rebaseLog(id: ThreadID, expectVersion: number, keepVersion: number, ops: Op[]): Promise<void> {
    const core = this.core;
    core.open();
    await core.changeThread(id, async (fence) => {
      const { backend, head } = await core.mustLocate(id);
      if (head.v !== expectVersion) throw new VersionConflictError(id, expectVersion, head.v);
      const all = [...(await backend.ops(id, 0, keepVersion)), ...ops];
      const view = replayView(id, all, core.now());
      await backend.rewrite({ threadId: id, baseVersion: expectVersion, keepVersion, ops, head: view.head, rows: view.rows, ...(fence && { fence }) }, core.now());
      core.cache.delete(id);
      core.events.emit('thread:updated', { id, v: view.head.v, ops });
      return foldOps(id, all);
    });
  }

  async importThread(ops: Op[]): Promise<void> {
    const id = wholeThreadId(ops);
    this.core.open();
    await this.core.queues.run(id, () => this.importWhole([ops]));
  }

  /**
   * Stores threads that arrived whole in one atomic commit (one transaction, one fsync, for a
   * pulled page of new threads). Any thread already stored here fails the whole commit with
   * VERSION_CONFLICT and nothing is written: the caller then takes them one by one.
   */
  async importThreads(threads: Op[][]): Promise<void> {
    threads.forEach(wholeThreadId);
    this.core.open();
    await this.importWhole(threads);
  }

  private async importWhole(threads: Op[][]): Promise<void> {
    const core = this.core;
    const now = core.now();
    const batches = threads.map((ops) => {
      const id = ops[0]!.threadId;
      const { head, rows } = replayView(id, ops, now);
      return { threadId: id, baseVersion: 0, head, ops, inserts: rows, hides: [] };
    });
    await core.backend.commit(batches, now);
    for (const b of batches) core.events.emit('thread:updated', { id: b.threadId, v: b.head.v, ops: b.ops });
  }
}

/** The id of a thread's whole log (it starts with `thread:create` at v1). */
function wholeThreadId(ops: Op[]): ThreadID {
  const first = ops[0];
  if (!first || first.type !== 'thread:create' || first.v !== 1) throw new ValidationError('ops', 'a thread starts with thread:create at v1');
  return first.threadId;
}

/**
 * Adds a thread's ops exactly as given (ids, versions, stamps): a new thread from its
 * `thread:create` at v1, or the ops that continue its log at `v + 1`. For lossless imports of
 * skein's own op log; nothing is written when the ops do not fit.
 */
export async function importLog(core: StoreCore, ops: Op[]): Promise<{ id: ThreadID; v: number }> {
  const first = ops[0];
  if (!first) throw new ValidationError('ops', 'nothing to import');
  const id = first.threadId;
  ops.forEach((op, i) => {
    if (op.threadId !== id) throw new ValidationError(`ops.${i}.threadId`, 'all ops must belong to one thread');
    if (op.v !== first.v + i) throw new ValidationError(`ops.${i}.v`, 'versions must be consecutive');
  });
  const replica = new StoreReplica(core);
  const head = await core.backend.getHead(id);
  if (!head) await replica.importThread(ops);
  else if (first.v !== head.v + 1) throw new VersionConflictError(id, first.v - 1, head.v);
  else await replica.applyRemoteOps(id, ops);
  return { id, v: ops.at(-1)!.v };
}
