/**
 * One import of a source at a time per store. Two imports of the same files (`skein import` run
 * twice, or a one-shot import beside `--watch`, in one process or several) would each create the
 * session's thread and append its messages. So an import first takes the lease
 * `import:<source>` in the store's `imports.db` (one write transaction: free, expired, or held by
 * a process on this host that no longer exists) and waits while another live import holds it; it
 * then reads the import state afresh, so it only adds what the other did not. The lease expires
 * unless renewed (a timer, and every batch written), so an importer that died on another host
 * or froze blocks the next one for at most the lease time; every state write checks the lease
 * is still held and stops the import (LEASE_LOST) when another took it over.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ErrorCode, SkeinError } from '../errors.js';
import type { LeaseHolder, StateDb } from './state-db.js';

const TTL_MS = 30_000;

/** Whether the holder may still be running (only a process on this host can be known dead). */
function mayBeAlive(h: LeaseHolder): boolean {
  if (h.host !== hostname() || h.pid === process.pid) return true;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Options of {@link ImportLease.take}. */
export interface LeaseOptions {
  /** Called once when another import holds the lease and this one starts waiting. */
  onWait?: (holder: { pid: number; host: string }) => void;
  /** Stops waiting (the lease is then not taken). */
  signal?: AbortSignal;
  ttlMs?: number;
}

/** A held import lease (see the module comment). */
export class ImportLease {
  private lost = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly db: StateDb,
    private readonly name: string,
    private readonly owner: string,
    private readonly ttl: number,
  ) {
    this.timer = setInterval(() => {
      if (!this.lost && !this.db.renewLease(this.name, this.owner, Date.now() + this.ttl)) this.lost = true;
    }, Math.max(10, Math.floor(ttl / 3)));
    this.timer.unref();
  }

  /** Takes the lease of `source`, waiting while a live import holds it; undefined when `signal` aborted the wait. */
  static async take(db: StateDb, source: string, options: LeaseOptions = {}): Promise<ImportLease | undefined> {
    const name = `import:${source}`;
    const owner = randomUUID();
    const ttl = options.ttlMs ?? TTL_MS;
    let waited = false;
    for (;;) {
      if (options.signal?.aborted) return undefined;
      const now = Date.now();
      const me = { owner, host: hostname(), pid: process.pid, expires: now + ttl };
      let holder = db.takeLease(name, me, now);
      if (holder && !mayBeAlive(holder)) holder = db.takeLease(name, me, now, holder.owner);
      if (!holder) return new ImportLease(db, name, owner, ttl);
      if (!waited) options.onWait?.({ pid: holder.pid, host: holder.host });
      waited = true;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 50 + Math.floor(Math.random() * 100));
        options.signal?.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(t);
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }

  /** Renews the lease; LEASE_LOST when another import took it over (this one looked dead or frozen). */
  check(): void {
    if (!this.lost && this.db.renewLease(this.name, this.owner, Date.now() + this.ttl)) return;
    this.lost = true;
    throw new SkeinError(ErrorCode.LEASE_LOST, `another import of ${this.name.slice('import:'.length)} took over this store's import lease; stopped`);
  }

  /** Gives the lease back. */
  release(): void {
    clearInterval(this.timer);
    if (!this.lost) this.db.releaseLease(this.name, this.owner);
  }
}
