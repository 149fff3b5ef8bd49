/**
 * The exclusive writer of one thread (seed: `acquireWriter`). It holds a lease in the backend
 * (owner + fencing token + expiry, renewed in the background); every write it makes carries the
 * token and is refused with LEASE_LOST once another holder has taken the lease over. Listeners
 * see each new thread before the write resolves. Messages it writes link the threads they name,
 * like `store.append`'s (the host's `mentions`).
 */
import { isDeepStrictEqual } from 'node:util';
import { SkeinError, ErrorCode, ValidationError, VersionConflictError } from '../errors.js';
import { applyOps } from '../model/apply.js';
import { compress, decompress } from '../model/codec.js';
import { parseOp } from '../model/schema.js';
import type { Delta, Op, Thread, ThreadHead } from '../model/types.js';
import type { CommitBatch, Fence, StorageBackend } from './backend.js';
import { batchFromOps, buildBatch, type Written } from './batch.js';
import { callKeyIn } from '../model/open-calls.js';
import { appendResult, type AppendResult } from './types.js';

/** What a writer needs from its store. */
export interface WriterHost {
  backend: StorageBackend;
  clientId: string;
  leaseTtlMs: number;
  now(): number;
  afterWrite(before: ThreadHead, ops: Op[], batch: CommitBatch): void;
  /** The mention links of one write: a commit that writes them with it, and the ones left for after. */
  mentions(): { commit: CommitWith; after(): Promise<unknown> };
  released(writer: ThreadWriter): void;
}

/** Commits a write's batch (with other threads' batches in the same transaction). */
type CommitWith = (batch: CommitBatch, backend: StorageBackend) => Promise<void>;

/** A listener of a writer: called with every new version of the thread. */
export type ThreadListener = (thread: Thread) => void;

function headOf(thread: Thread, updated: number): ThreadHead {
  const { messages, ...core } = thread;
  return { ...core, messageCount: messages.length, updated };
}

/** See the module comment. Made by `store.acquireWriter`. */
export class ThreadWriter {
  private current: Thread;
  private readonly listeners = new Set<ThreadListener>();
  private readonly timer: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private state: 'active' | 'lost' | 'disposed' = 'active';

  constructor(
    private readonly host: WriterHost,
    thread: Thread,
    readonly fence: Fence,
  ) {
    this.current = thread;
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(host.leaseTtlMs / 3)));
    this.timer.unref();
  }

  /** The thread as of the last write. Treat it as read-only. */
  get thread(): Thread {
    return this.current;
  }

  /** False once the writer was disposed or lost its lease. */
  get active(): boolean {
    return this.state === 'active';
  }

  private async renew(): Promise<void> {
    if (this.state !== 'active') return;
    const ok = await this.host.backend.renewLease(this.thread.id, this.fence, this.host.leaseTtlMs, this.host.now()).catch(() => true);
    if (!ok) this.state = 'lost';
  }

  private check(): void {
    if (this.state === 'disposed') throw new SkeinError(ErrorCode.CLOSED, `the writer of ${this.current.id} was disposed`);
    if (this.state === 'lost') throw new SkeinError(ErrorCode.LEASE_LOST, `the writer of ${this.current.id} lost its lease`);
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async commitOps(before: Thread, batch: CommitBatch, ops: Op[], commit?: CommitWith): Promise<Thread> {
    try {
      if (commit) await commit(batch, this.host.backend);
      else await this.host.backend.commit([batch], this.host.now());
    } catch (err) {
      if (err instanceof SkeinError && err.code === ErrorCode.LEASE_LOST) this.state = 'lost';
      throw err;
    }
    const t = applyOps(before, ops);
    this.current = t;
    for (const l of this.listeners) l(t);
    this.host.afterWrite(headOf(before, before.created), ops, batch);
    return t;
  }

  /** The store's write path for a thread this writer holds: resolves with the new head and the ops. */
  write(deltas: Delta[], expectedVersion?: number, commit?: CommitWith): Promise<Written> {
    return this.serialize(async () => {
      this.check();
      const before = this.current;
      if (expectedVersion !== undefined && expectedVersion !== before.v)
        throw new VersionConflictError(before.id, expectedVersion, before.v);
      const now = this.host.now();
      const messages = before.messages;
      const { batch, ops } = await buildBatch(headOf(before, now), deltas, {
        clientId: this.host.clientId,
        now,
        fence: this.fence,
        lookup: {
          at: async (i) => messages[i],
          indexOf: async (id) => {
            const i = messages.findIndex((m) => m.id === id);
            return i < 0 ? undefined : i;
          },
          callKey: async (callId) => callKeyIn(messages, callId),
        },
      });
      await this.commitOps(before, batch, ops, commit);
      return { head: batch.head, ops };
    });
  }

  /**
   * Appends one delta or several (atomically); resolves after commit with the new head (no
   * messages) and the ops written, like `store.append`. Listeners have seen the new thread by
   * then, and `writer.thread` is it.
   */
  async apply(delta: Delta | Delta[]): Promise<AppendResult> {
    const deltas = Array.isArray(delta) ? delta : [delta];
    if (deltas.length === 0) throw new ValidationError('delta', 'nothing to apply');
    // Threads its messages name are linked like on `store.append` (mentions.ts).
    const mentions = this.host.mentions();
    const { head, ops } = await this.write(deltas, undefined, mentions.commit);
    await mentions.after();
    return appendResult(head, ops);
  }

  /**
   * Changes the thread through a function that returns a new version of it, made with
   * `applyDelta`. The net change is stored as ops; the returned thread must have a higher `v`, and
   * every change must be expressible as ops (a field set by hand is refused, nothing written).
   */
  async modify(fn: (thread: Thread) => Thread): Promise<Thread> {
    const mentions = this.host.mentions();
    const t = await this.serialize(async () => {
      this.check();
      const before = this.current;
      const after = fn(structuredClone(before));
      if (!after || typeof after !== 'object' || typeof after.v !== 'number' || after.v <= before.v)
        throw new ValidationError('modify', `must return the thread at a version above ${before.v}`);
      const delta = compress(before, after);
      const ops = delta.ops.map((op, i) => parseOp({ ...op, v: before.v + i + 1 }, `ops.${i}`));
      // A raised v with no change behind it would resolve with a thread that was never stored.
      if (ops.length === 0) throw new ValidationError('modify', 'the returned thread has no change made with applyDelta');
      const replayed = decompress(before, { ...delta, ops, toVersion: before.v + ops.length });
      // Compared structurally: parsing the ops reorders message keys, so JSON text would differ.
      const visible = (t: Thread) => [t.messages, t.title, t.meta, t.env, t.archived, t.visibility, t.childThreadIDs, t.summaryThreadIDs, t.links];
      if (!isDeepStrictEqual(visible(replayed), visible(after)))
        throw new ValidationError('modify', 'the returned thread has changes that were not made with applyDelta');
      const batch = await batchFromOps(headOf(before, 0), ops, this.host.now(), this.fence);
      return this.commitOps(before, batch, ops, mentions.commit);
    });
    await mentions.after();
    return t;
  }

  /**
   * Runs a change made outside `apply` (a sync rebase or remote ops) under this writer's lease and
   * queue; `fn` commits with the fence and returns the new thread, which listeners then see.
   */
  runExternal(fn: (fence: Fence, current: Thread) => Promise<Thread>): Promise<Thread> {
    return this.serialize(async () => {
      this.check();
      let t: Thread;
      try {
        t = await fn(this.fence, this.current);
      } catch (err) {
        if (err instanceof SkeinError && err.code === ErrorCode.LEASE_LOST) this.state = 'lost';
        throw err;
      }
      this.current = t;
      for (const l of this.listeners) l(t);
      return t;
    });
  }

  /** Calls `listener` with each new version of the thread; returns the function that stops it. */
  observe(listener: ThreadListener): () => void {
    if (typeof listener !== 'function') throw new ValidationError('listener', 'must be a function');
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for pending writes (every write is already durable), then releases the lease. */
  async dispose(): Promise<void> {
    if (this.state === 'disposed') return;
    await this.queue;
    const wasActive = this.state === 'active';
    this.state = 'disposed';
    clearInterval(this.timer);
    this.listeners.clear();
    this.host.released(this);
    if (wasActive) await this.host.backend.releaseLease(this.current.id, this.fence);
  }

  /** For `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
