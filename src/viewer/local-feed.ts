/**
 * Changes to a local store made by any process (`skein append` in a shell, an importer, a sync):
 * another process writes the same SQLite file, so this store's own events do not see them. While
 * someone listens, the feed polls the newest-activity threads (one indexed query) every
 * `intervalMs` and reports each thread whose version moved (reading further pages only while a
 * whole page moved). This store's own writes are reported
 * at once from its `thread:updated` events.
 */
import type { Store } from '../store/store.js';
import type { ThreadChange } from './routes.js';

/** How many of the most recently active threads each poll looks at. */
const WINDOW = 50;

/** See the module comment. */
export class LocalFeed {
  private readonly listeners = new Set<(change: ThreadChange) => void>();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private primed = false;
  private readonly onOwn = (e: { id: string; v: number }) => this.report(e.id, e.v);

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 250,
  ) {}

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (change: ThreadChange) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private report(id: string, v: number): void {
    const before = this.seen.get(id);
    if (before !== undefined && before >= v) return;
    this.seen.set(id, v);
    for (const l of this.listeners) l({ id, v });
  }

  private start(): void {
    this.store.on('thread:updated', this.onOwn);
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  private stop(): void {
    this.store.off('thread:updated', this.onOwn);
    clearInterval(this.timer);
    this.timer = undefined;
    this.primed = false;
  }

  /** One look at the newest threads (joining the one under way); the first only learns where they stand. */
  poll(): Promise<void> {
    return (this.running ??= this.look().finally(() => (this.running = undefined)));
  }

  private async look(): Promise<void> {
    try {
      // Threads come newest activity first, so the changed ones lead; a page that changed
      // entirely may have more changes after it (a bulk import): read on until one did not.
      let cursor: string | undefined;
      for (;;) {
        const page = await this.store.listThreads({ limit: WINDOW, ...(cursor !== undefined && { cursor }) });
        let allChanged = page.threads.length > 0;
        for (const t of page.threads) {
          const before = this.seen.get(t.id);
          if (before !== undefined && before >= t.v) allChanged = false;
          if (!this.primed) this.seen.set(t.id, Math.max(t.v, before ?? 0));
          else this.report(t.id, t.v);
        }
        cursor = page.nextCursor;
        if (!this.primed || !allChanged || cursor === undefined) break;
      }
      this.primed = true;
    } catch {
      // A closed store or a busy database: the next tick tries again.
    }
  }

  /** Stops polling. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }
}
