/**
 * The client sync engine (seed: `ThreadSyncService`). The outbox is durable by construction: it
 * is every local op above the version both sides last agreed on (`syncedV`, in sync.db), so a
 * crash between a local commit and a push loses nothing. A round pushes dirty threads in batches
 * of at most 50 (high priority first; the next request read and compressed while the server
 * stores the one before), settles each result on its own (ok, conflict -> three-way merge by
 * rebasing the local ops after the server's, rejected -> set aside as poison), backs a failing
 * thread off with full jitter (honouring Retry-After), then pulls by cursor (pull.ts). Live mode
 * follows `/v1/events` and runs a round on each poke. Writes never wait for any of this.
 */
import { SkeinError, ErrorCode, fromUnknown } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Op } from '../model/types.js';
import type { SyncHandle, SyncReplica, SyncResult, SyncStatus } from '../store/ports.js';
import { renumber } from '../store/replay.js';
import type { SyncHttpClient } from './http-client.js';
import { MAX_PUSH_THREADS, partialPushResult, pushRequestText, type OpText, type PushResponse, type PushResult } from './protocol.js';
import { fitOps, MAX_PUSH_BYTES } from './push-budget.js';
import { backoffDelay, isRetryable, retryAfterOf } from './retry.js';
import { outboxThreads, type OutboxThread } from './outbox.js';
import { pull } from './pull.js';
import type { SyncStateStore, ThreadSyncState } from './sync-state.js';

/** Tuning (defaults from DESIGN section 5). */
export interface SyncOptions {
  intervalMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Push sub-agent threads too (their default policy keeps them local). */
  syncSubagents?: boolean;
}

const MAX_ROUNDS = 200;
/** One thread's share of a push: its ops as stored (their JSON texts), sent without re-serializing. */
type OutgoingThread = { id: ThreadID; baseVersion: number; ops: OpText[] };
/** Ops of one thread per push; a longer outbox goes over several rounds. */
const MAX_OPS_PER_PUSH = 1000;

/** See the module comment. */
export class SyncEngine implements SyncHandle {
  private timer: NodeJS.Timeout | undefined;
  private liveAbort: AbortController | undefined;
  private running: Promise<SyncResult> | undefined;
  /** The round after the running one, shared by every caller that asked while it ran. */
  private queued: Promise<SyncResult> | undefined;
  /** Whether the queued round was asked for explicitly (then it ignores backoff). */
  private queuedExplicit = false;
  private lastRoundAt: number | undefined;
  private lastError: string | undefined;
  private readonly dirty = new Set<ThreadID>();
  /** Threads the server asked to hold back (Retry-After), until when: explicit rounds honour it too. */
  private readonly heldByServer = new Map<ThreadID, number>();
  private readonly unsubscribe: () => void;
  /** This round's push answers: one moved the cursor to the server's newest op (see PushResponse.cursor), one did not. */
  private cursorSeen = false;
  private cursorGap = false;
  /** Settles when the last push request sent has its answer's cursor taken. */
  private sendGate: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SyncReplica,
    private readonly client: SyncHttpClient,
    private readonly state: SyncStateStore,
    private readonly options: SyncOptions = {},
  ) {
    this.unsubscribe = store.onChange((id) => this.dirty.add(id));
  }

  /** Bytes this engine moved on the wire, both ways. */
  get bytes(): { sent: number; received: number } {
    return { ...this.client.bytes };
  }

  /**
   * Runs one round now, trying every pending thread, even one waiting out a backoff (after a server
   * restart it must not answer `pushed: 0`); background rounds keep the backoff. While a round runs,
   * callers share the next one: the caller's promise must cover the writes made before the call.
   */
  now(): Promise<SyncResult> {
    return this.schedule(true);
  }

  /** A round from the timer or a poke: threads backing off wait their turn. */
  private background(): void {
    void this.schedule(false).catch(() => undefined);
  }

  private schedule(explicit: boolean): Promise<SyncResult> {
    if (this.running) {
      if (explicit) this.queuedExplicit = true;
      this.queued ??= this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          const e = this.queuedExplicit;
          this.queuedExplicit = false;
          return this.schedule(e);
        });
      return this.queued;
    }
    this.running = this.round(explicit).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Syncs every `intervalMs` (default 5 s) and, with `live`, on every server poke. */
  start(options: { live?: boolean } = {}): void {
    if (!this.timer) {
      this.timer = setInterval(() => this.background(), this.options.intervalMs ?? 5000);
      this.timer.unref();
      this.background();
    }
    if (options.live && !this.liveAbort) this.follow();
  }

  /** Stops the timer and the live stream (a running round, and one already asked for, finish). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.liveAbort?.abort();
    this.liveAbort = undefined;
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
  }

  /** Where sync stands. */
  status(): SyncStatus {
    const poisoned: SyncStatus['poisoned'] = [];
    for (const [id, s] of this.state.all()) if (s.poisoned) poisoned.push({ id, ...s.poisoned });
    return {
      running: this.timer !== undefined,
      live: this.liveAbort !== undefined,
      cursor: this.state.cursor(),
      pending: this.dirty.size,
      poisoned,
      ...(this.lastRoundAt !== undefined && { lastRoundAt: this.lastRoundAt }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** Clears the poison mark of threads so that they are pushed again. */
  retryPoisoned(): void {
    for (const [id, { poisoned, ...rest }] of this.state.all()) {
      if (!poisoned) continue;
      this.state.set(id, { ...rest, attempts: 0, nextAt: 0 });
      this.dirty.add(id);
    }
  }

  /** Stops and closes the state database. */
  async close(): Promise<void> {
    // A request in flight would hold the close up to its timeout; whatever it carried is retried next time.
    this.client.abortAll();
    await this.stop();
    this.unsubscribe();
    this.state.close();
  }

  private follow(): void {
    const abort = new AbortController();
    this.liveAbort = abort;
    let attempt = 0;
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          await this.client.events(this.state.cursor(), () => this.background(), abort.signal);
          attempt = 0;
        } catch (err) {
          this.lastError = fromUnknown(err).message;
        }
        if (abort.signal.aborted) break;
        await new Promise((r) => setTimeout(r, 100 + backoffDelay(attempt++, { baseMs: 250, capMs: 10_000 })));
        this.background();
      }
    };
    void loop();
  }

  /** Threads with unacknowledged local ops, by priority (outbox.ts). */
  private async dirtyThreads(now: number, explicit: boolean): Promise<OutboxThread[]> {
    // First round of this process: anything written before (or by another process) may be unsent.
    if (this.lastRoundAt === undefined) for await (const id of this.store.threadIds()) this.dirty.add(id);
    return outboxThreads(this.store, this.state, this.dirty, { now, explicit, heldByServer: this.heldByServer, syncSubagents: this.options.syncSubagents === true });
  }

  private async round(explicit: boolean): Promise<SyncResult> {
    const result: SyncResult = { pushed: 0, pulled: 0, conflicts: 0, failed: 0 };
    this.cursorSeen = this.cursorGap = false;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const todo = await this.dirtyThreads(Date.now(), explicit);
        this.lastRoundAt ??= Date.now();
        if (todo.length === 0) break;
        await this.pushAll(todo, result);
        if (result.failed > 0) break;
      }
      // The last push's answer said nothing else is new after the cursor: no pull request.
      await pull({ store: this.store, client: this.client, state: this.state, rebase: (id, st, ops, v) => this.rebase(id, st, ops, v) }, result, this.cursorSeen && !this.cursorGap && result.failed === 0);
      // A push failure stays reported (status(), `skein sync`) even when the pull went through.
      if (result.failed === 0) this.lastError = undefined;
    } catch (err) {
      this.lastError = fromUnknown(err).message;
      throw err;
    } finally {
      this.lastRoundAt = Date.now();
    }
    return result;
  }

  /**
   * Pushes `todo` in requests of at most MAX_PUSH_THREADS threads, two at a time: the next one is
   * read and compressed while the server stores the one before, and sent after its answer.
   */
  private async pushAll(todo: OutboxThread[], result: SyncResult): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < todo.length) {
        const slice = todo.slice(next, (next += MAX_PUSH_THREADS));
        await this.push(slice, result).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    };
    await Promise.all([worker(), worker()]);
  }

  private async push(batch: { id: ThreadID; v: number; s: ThreadSyncState }[], result: SyncResult): Promise<void> {
    const threads: OutgoingThread[] = [];
    // Threads that do not fit beside the others in one request's bytes go in a request of their own.
    const later: typeof batch = [];
    let budget = MAX_PUSH_BYTES;
    for (const t of batch) {
      const all = await this.store.opTexts(t.id, t.s.syncedV, Math.min(t.v, t.s.syncedV + MAX_OPS_PER_PUSH));
      // An archived (evicted) thread has no active log to send; it is pushed after a restore.
      if (all.length === 0) {
        this.dirty.delete(t.id);
        continue;
      }
      const fit = fitOps(all, budget, threads.length === 0);
      if (fit.ops.length === 0) later.push(t);
      else {
        threads.push({ id: t.id, baseVersion: t.s.syncedV, ops: fit.ops });
        budget -= fit.bytes;
      }
    }
    if (later.length > 0) {
      if (threads.length > 0) await this.pushNow(threads, batch, result);
      return this.push(later, result);
    }
    if (threads.length === 0) return;
    return this.pushNow(threads, batch, result);
  }

  /** Sends one push request (the threads of `batch` in `threads`) and settles its answer. */
  private async pushNow(threads: OutgoingThread[], all: { id: ThreadID; v: number; s: ThreadSyncState }[], result: SyncResult): Promise<void> {
    const sent = new Set(threads.map((t) => t.id));
    const batch = all.filter((t) => sent.has(t.id));
    let answer;
    // Requests go out in order, each after the answer before it moved the cursor (see pushAll).
    const gate = this.sendGate;
    let release!: () => void;
    this.sendGate = new Promise<void>((r) => (release = r));
    try {
      answer = await this.client.push(pushRequestText(this.store.clientId, threads), () => this.state.cursor(), gate);
    } catch (err) {
      release();
      if (err instanceof SkeinError && (err.code === ErrorCode.VALIDATION || err.code === ErrorCode.NOT_FOUND || err.code === ErrorCode.PAYLOAD_TOO_LARGE)) {
        // The server refused the request itself (too large, malformed): find the thread that does
        // it by pushing alone, and set that one aside so it never blocks the others.
        if (batch.length > 1) {
          for (const t of batch) await this.push([t], result);
          return;
        }
        this.poison(batch[0]!.id, err.code, err.message);
        result.failed++;
        return;
      }
      // A 5xx that still answers per thread (some threads failed on the server): keep the others' results.
      const partial = partialPushResult(err);
      if (partial) return this.settlePartial(partial, threads, err, result);
      if (!isRetryable(err)) throw err;
      // The whole request failed: each thread backs off on its own schedule.
      for (const t of batch) this.backOff(t.id, err);
      result.failed += batch.length;
      this.lastError = fromUnknown(err).message;
      return;
    }
    if (answer.cursor === undefined) this.cursorGap = true;
    else {
      if (answer.cursor >= this.state.cursor()) this.state.setCursor(answer.cursor);
      this.cursorSeen = true;
    }
    release();
    const settled = await Promise.allSettled(answer.threads.map((r) => this.settle(r, threads.find((t) => t.id === r.id)!.ops, result)));
    for (const [i, s] of settled.entries()) {
      if (s.status === 'rejected') {
        result.failed++;
        this.backOff(answer.threads[i]!.id, s.reason);
      }
    }
  }

  /** Settles the threads a failed push did answer; those the server failed to store back off. */
  private async settlePartial(answer: PushResponse, threads: OutgoingThread[], err: unknown, result: SyncResult): Promise<void> {
    for (const r of answer.threads) {
      const sent = threads.find((t) => t.id === r.id);
      if (!sent) continue;
      if (r.status === 'rejected' && r.code === ErrorCode.SERVER) {
        result.failed++;
        this.backOff(r.id, err);
        continue;
      }
      await this.settle(r, sent.ops, result).catch((e: unknown) => {
        result.failed++;
        this.backOff(r.id, e);
      });
    }
    this.lastError = fromUnknown(err).message;
  }

  private backOff(id: ThreadID, err: unknown): void {
    const s = this.state.get(id);
    const retryAfter = retryAfterOf(err);
    const delay = Math.max(backoffDelay(s.attempts, { baseMs: this.options.backoffBaseMs ?? 1000, capMs: this.options.backoffCapMs ?? 300_000 }), retryAfter ?? 0);
    if (retryAfter !== undefined) this.heldByServer.set(id, Date.now() + retryAfter);
    this.state.set(id, { ...s, attempts: s.attempts + 1, nextAt: Date.now() + delay });
  }

  private async settle(r: PushResult, pushed: readonly { v: number }[], result: SyncResult): Promise<void> {
    const s = this.state.get(r.id);
    if (r.status === 'ok') {
      result.pushed += pushed.length;
      // A replayed push (its ops all known) is answered with the server's head, which may hold
      // other devices' ops this replica lacks: agree only up to the ops pushed; the pull fetches the rest.
      const syncedV = Math.min(r.v, pushed.at(-1)?.v ?? r.v);
      this.heldByServer.delete(r.id);
      this.state.set(r.id, { ...s, syncedV, remoteV: Math.max(s.remoteV, r.v), attempts: 0, nextAt: 0 });
    } else if (r.status === 'conflict') {
      result.conflicts++;
      await this.rebase(r.id, s, r.ops, r.v);
    } else this.poison(r.id, r.code, r.message);
  }

  /** A poison thread: reported through status() and set aside, never retried on its own. */
  private poison(id: ThreadID, code: string, message: string): void {
    this.state.set(id, { ...this.state.get(id), poisoned: { code, message } });
    this.dirty.delete(id);
  }

  /**
   * The three-way merge of DESIGN section 3, done on the log: the base is the agreed prefix
   * (v <= syncedV); the merged log is the base, then the server's ops, then the local ops the
   * server does not hold, renumbered. Folding it gives `merge(base, local, remote)`.
   */
  private async rebase(id: ThreadID, s: ThreadSyncState, serverOps: Op[], serverV: number): Promise<void> {
    const info = await this.store.localHead(id);
    if (!info) return;
    const local = await this.store.ops(id, s.syncedV, info.v);
    const onServer = new Set(serverOps.map((o) => o.opId));
    const mine = local.filter((o) => !onServer.has(o.opId));
    const ops = [...renumber(serverOps, s.syncedV), ...renumber(mine, serverV)];
    await this.store.rebaseLog(id, info.v, s.syncedV, ops);
    this.state.set(id, { ...s, syncedV: serverV, remoteV: Math.max(s.remoteV, serverV) });
    if (mine.length > 0) this.dirty.add(id);
  }
}
