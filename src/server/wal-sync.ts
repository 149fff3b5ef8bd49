/**
 * Durable SQLite commits without holding the event loop. A workspace database on the server runs
 * at `synchronous = NORMAL`: a commit writes its WAL frames and returns, without the fsync that
 * FULL makes inside the commit (a synchronous call that stopped the whole process for 1-3 ms per
 * push, the server's main cost under load). Every write is then followed by an fdatasync of the
 * WAL file in the thread pool before its caller hears of it, so a resolved write survives power
 * loss as it did at FULL. Writes that come in while a sync runs share the next one: one fsync
 * covers everything written before it started, so under load one fsync serves many pushes.
 *
 * At FULL nothing was visible before it was durable (the wal-index moves after the fsync); that
 * holds here too: a read that returns while a sync is pending waits for every sync asked for so
 * far, so no pull, conflict answer or page hands out an op that a power loss could still take back.
 *
 * The WAL file keeps its inode while the server holds the database open (SQLite deletes it only
 * when the last connection closes; a checkpoint rewinds or truncates it in place).
 */
import { close, closeSync, fdatasync, fsyncSync, open, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { StorageBackend } from '../store/backend.js';

const openAsync = promisify(open);
const closeAsync = promisify(close);

interface Waiter {
  ticket: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** fdatasync of one database's WAL file, coalesced: see the module comment. */
export class WalSync {
  private fd: Promise<number> | undefined;
  /** Tickets handed out; a sync covers every ticket taken before it started. */
  private tickets = 0;
  private running = false;
  private waiters: Waiter[] = [];
  /** fsyncs run (for tests and the benchmark's record). */
  syncs = 0;

  constructor(private readonly dbFile: string) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    const ticket = ++this.tickets;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ ticket, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once every sync asked for so far is done; undefined when none is pending. */
  settled(): Promise<void> | undefined {
    if (this.waiters.length === 0) return undefined;
    const ticket = this.tickets;
    return new Promise<void>((resolve, reject) => this.waiters.push({ ticket, resolve, reject }));
  }

  private kick(): void {
    if (this.running || this.waiters.length === 0) return;
    this.running = true;
    const upTo = this.tickets;
    const finish = (err: unknown) => {
      this.running = false;
      const done = this.waiters.filter((w) => w.ticket <= upTo);
      this.waiters = this.waiters.filter((w) => w.ticket > upTo);
      for (const w of done) if (err) w.reject(err);
      else w.resolve();
      this.kick();
    };
    this.walFd().then(
      (fd) => {
        this.syncs++;
        fdatasync(fd, (err) => finish(err ?? undefined));
      },
      (err: unknown) => {
        // A failed open is tried again by the next sync.
        this.fd = undefined;
        finish(err);
      },
    );
  }

  /** The WAL file, opened once (it exists from the database's first write); its directory entry synced once. */
  private walFd(): Promise<number> {
    this.fd ??= openAsync(`${this.dbFile}-wal`, 'r').then((fd) => {
      const dir = openSync(dirname(this.dbFile), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
      return fd;
    });
    return this.fd;
  }

  /** Closes the WAL file (after the database is closed). */
  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd) await closeAsync(await fd).catch(() => undefined);
  }
}

type Method = { [K in keyof StorageBackend]-?: NonNullable<StorageBackend[K]> extends (...args: never[]) => unknown ? K : never }[keyof StorageBackend];

/**
 * Every backend method as a read or a write; a write is followed by a WAL sync before it resolves.
 * A method added to the backend contract does not compile until it is classed here, so no write
 * can slip past the sync.
 */
const ACCESS: Record<Exclude<Method, 'close'>, 'read' | 'write'> = {
  getHead: 'read',
  commit: 'write',
  ops: 'read',
  opTexts: 'read',
  hasOp: 'read',
  opsSince: 'read',
  commitIfHead: 'write',
  opTextsSince: 'read',
  seqsSince: 'read',
  rewrite: 'write',
  messagesBefore: 'read',
  messagesAfter: 'read',
  findMessage: 'read',
  callKey: 'read',
  hiddenRanges: 'read',
  threadLinks: 'read',
  threadMeta: 'read',
  locate: 'read',
  listThreads: 'read',
  maxSeq: 'read',
  usage: 'read',
  acquireLease: 'write',
  renewLease: 'write',
  releaseLease: 'write',
  lease: 'read',
  inconsistentThreads: 'read',
  replaceView: 'write',
  inactiveThreads: 'read',
  evict: 'write',
  reinstate: 'write',
  evicted: 'read',
  search: 'read',
  indexSearch: 'read',
  reindex: 'write',
  pendingMentions: 'read',
  dropMentions: 'write',
};
const isWrite = (prop: PropertyKey): boolean => (ACCESS as Record<PropertyKey, string | undefined>)[prop] === 'write';

/**
 * `backend` (a SQLite backend opened at `durability: 'normal'`) with every write followed by
 * `wal.sync()` before it resolves, every read that returns while a sync is pending held until it
 * is done, and its close closing the WAL file too. The sync is asked for as soon as the write's
 * call returns: the SQLite backend runs a write's SQL synchronously inside the call, so from then
 * on a read sees it and must wait for that sync.
 */
export function syncedWrites(backend: StorageBackend, wal: WalSync): StorageBackend {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(backend, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        if (prop === 'close')
          fn = async () => {
            await method.call(target);
            await wal.close();
          };
        else if (isWrite(prop))
          fn = (...args: unknown[]) => {
            const done = Promise.resolve(method.apply(target, args));
            const synced = wal.sync();
            return done.then(
              (result) => synced.then(() => result),
              (err: unknown) => {
                synced.catch(() => undefined);
                throw err;
              },
            );
          };
        else
          fn = (...args: unknown[]) => {
            const result = method.apply(target, args);
            if (!(result instanceof Promise)) return result;
            const pending = wal.settled();
            if (!pending) return result;
            pending.catch(() => undefined);
            return result.then((r: unknown) => pending.then(() => r));
          };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
