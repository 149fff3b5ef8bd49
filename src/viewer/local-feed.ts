/**
 * Changes to a local store made by any process (`skein append` in a shell, an importer, a sync):
 * another process writes the same SQLite file, so this store's own events do not see them. While
 * someone listens, the feed polls the newest-activity threads (one indexed query) every
 * `intervalMs` and reports each thread whose version moved. This store's own writes are reported
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
  private polling = false;
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

  /** One look at the newest threads; the first one only learns where they stand. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { threads } = await this.store.listThreads({ limit: WINDOW });
      for (const t of threads) {
        if (!this.primed) this.seen.set(t.id, Math.max(t.v, this.seen.get(t.id) ?? 0));
        else this.report(t.id, t.v);
      }
      this.primed = true;
    } catch {
      // A closed store or a busy database: the next tick tries again.
    } finally {
      this.polling = false;
    }
  }

  /** Stops polling. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }
}
