/**
 * Group commit for one workspace's backend: the batches that pushes hand in during one turn of the
 * event loop (the threads of one push request, and other clients' pushes that arrived with it)
 * are committed together, in one transaction and so one durable write, instead of one each. If
 * the group fails (one batch's version moved, a bad op), each batch is committed again on its own,
 * so every caller gets its own outcome and one thread's failure never sinks another's.
 */
import type { CommitBatch, StorageBackend } from '../store/backend.js';

interface Pending {
  batch: CommitBatch;
  now: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Most batches in one group (a transaction stays short). */
const MAX_GROUP = 64;

/** See the module comment. */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly backend: Pick<StorageBackend, 'commit'>) {}

  /** Commits `batch` (with others handed in meanwhile); resolves when it is durable. */
  commit(batch: CommitBatch, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ batch, now, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const all = this.pending;
    this.pending = [];
    this.scheduled = false;
    // A group holds each thread once (a second batch of a thread builds on the first).
    const groups: Pending[][] = [];
    let group: Pending[] = [];
    const seen = new Set<string>();
    for (const p of all) {
      if (group.length >= MAX_GROUP || seen.has(p.batch.threadId)) {
        groups.push(group);
        group = [];
        seen.clear();
      }
      group.push(p);
      seen.add(p.batch.threadId);
    }
    if (group.length > 0) groups.push(group);
    for (const g of groups) await this.commitGroup(g);
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    if (group.length > 1) {
      try {
        await this.backend.commit(
          group.map((p) => p.batch),
          Math.max(...group.map((p) => p.now)),
        );
        for (const p of group) p.resolve();
        return;
      } catch {
        // One of them failed the group: each alone, so that each gets its own answer.
      }
    }
    for (const p of group) {
      try {
        await this.backend.commit([p.batch], p.now);
        p.resolve();
      } catch (err) {
        p.reject(err);
      }
    }
  }
}
