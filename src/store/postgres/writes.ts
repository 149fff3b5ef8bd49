/**
 * The Postgres backend's write steps (see postgres-backend.ts): the row lock and the checks every
 * write makes, the workspace's write turn, and the inserts of ops, message rows and hidden ranges.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { boundHead, linksOf, type StoredLink } from '../../model/bounded-links.js';
import { metaOf, type StoredMeta } from '../../model/bounded-meta.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence } from '../backend.js';
import { checkLease, checkNotEvicted, checkVersion, opBody } from '../view.js';
import { uniqueViolation, type PgQueryable } from './driver.js';
import { firstSkipped, highest, leaseOf, mentionColumns } from './rows.js';
import { usageParams, writeBatchParams, type batchStatements } from './batch-sql.js';
import type { statements } from './statements.js';

/** Runs one statement with the workspace as `$1`. */
export type PgQuery = <R>(sql: string, params?: unknown[], on?: PgQueryable) => Promise<{ rows: R[]; rowCount: number }>;

/** A stored thread's row, as the write lock reads it. */
export type ThreadRow = { v: number; head: string; evicted: number | null };

/** See the module comment. */
export class PgWrites {
  constructor(
    private readonly q: PgQuery,
    private readonly sql: ReturnType<typeof statements>,
    private readonly batchSql: ReturnType<typeof batchStatements>,
    private readonly lockKey: string,
  ) {}

  /**
   * Takes the workspace's write turn, held until the transaction ends. Sequence numbers are handed
   * out before commit, so two writers of one workspace could make seq 11 visible before seq 10; a
   * reader that saw 11 (a pull cursor, a listThreads snapshot) would then miss 10 for good. Writes
   * that add ops take turns, but only from their first seq-assigning insert on: the thread row
   * lock, version, eviction and lease checks come first, outside the turn. Every writer takes its
   * thread row lock(s) before this lock, never after, so the two kinds of lock cannot deadlock.
   */
  async wsLock(c: PgQueryable): Promise<void> {
    await c.query(this.sql.wsLock, [this.lockKey]);
  }

  /** Writes one batch; `takeTurn` when the workspace lock is still to be taken (after the row lock). */
  async commitOne(c: PgQueryable, b: CommitBatch, now: number, takeTurn: boolean): Promise<void> {
    const id = b.threadId;
    const row = await this.lockThread(c, id, { baseVersion: b.baseVersion, fence: b.fence, now, mustExist: false });
    let count = row ? (JSON.parse(row.head) as ThreadHead).messageCount : 0;
    // The common case, a stored thread and no hides or links, is one statement that takes the turn too.
    if (row && b.hides.length === 0 && !b.links?.length && !b.meta?.length) {
      await this.writeBatch(c, b, count, takeTurn);
      if (b.mentions?.length) await this.q(this.sql.queueMentions, mentionColumns(b.mentions), c);
      return;
    }
    // A new thread's row is inserted inside the turn: a racing creator of the same id then waits
    // for the turn, not on the row's unique key while holding the turn.
    if (takeTurn) await this.wsLock(c);
    if (!row) {
      try {
        await this.q(this.sql.insertThread, [id, b.head.v, b.head.updated, '{}'], c);
      } catch (err) {
        if (uniqueViolation(err) === 'threads_pkey')
          throw new SkeinError(ErrorCode.VERSION_CONFLICT, `thread ${id} already exists`, { cause: err, details: { threadId: id } });
        throw err;
      }
    }
    const seqOf = await this.insertOps(c, id, b.ops);
    await this.insertMessages(c, id, b.inserts, seqOf);
    count += b.inserts.filter((r) => !r.hidden).length;
    for (const r of b.hides) count -= (await this.q(this.sql.hide, [id, r.fromKey, r.toKey], c)).rowCount;
    // A stored thread's ranges are kept already but for the batch's own; a new one's head holds all of them.
    await this.insertRanges(c, id, row ? b.hides : [...b.head.clock.hidden, ...b.hides]);
    // Likewise for links: a stored thread's batch adds its own, a new thread's head holds all.
    await this.insertLinks(c, id, row ? (b.links ?? []) : linksOf(b.head));
    await this.upsertMeta(c, id, row ? (b.meta ?? []) : metaOf(b.head));
    const head = JSON.stringify(boundHead({ ...b.head, messageCount: count }));
    await this.q(this.sql.updateThread, [id, b.head.v, highest(seqOf.values()), b.head.updated, head], c);
    if (b.mentions?.length) await this.q(this.sql.queueMentions, mentionColumns(b.mentions), c);
  }

  /** Ops, message rows and the thread row of a stored thread's batch without hides, in one statement. */
  async writeBatch(c: PgQueryable, b: CommitBatch, count: number, takeTurn: boolean): Promise<void> {
    const visible = count + b.inserts.filter((r) => !r.hidden).length;
    const params = writeBatchParams(b, takeTurn ? this.lockKey : null, visible);
    const { rows } = await this.q<{ seq: string; v: number; op_id: string }>(this.batchSql.writeBatch, params, c);
    const dup = firstSkipped(b.ops, rows);
    if (dup) throw new SkeinError(ErrorCode.VALIDATION, `op ${dup.opId} (v${dup.v}) is already in thread ${b.threadId}`);
  }

  /**
   * Locks the thread row (when stored) and checks what every write checks, in this order: the
   * version, that the thread exists (when `mustExist`), that it is not evicted, and the lease.
   */
  async lockThread(
    c: PgQueryable,
    id: ThreadID,
    check: { baseVersion: number; fence: Fence | undefined; now: number; mustExist: boolean },
  ): Promise<ThreadRow | undefined> {
    // One round trip: the thread row (FOR UPDATE) and then its lease (FOR SHARE), each may be absent.
    type Locked = { v: number | null; head: string | null; evicted: number | null; owner: string | null; token: string; expires: string };
    const [r] = (await this.q<Locked>(this.sql.lockThreadLease, [id], c)).rows;
    const row: ThreadRow | undefined = r && r.v !== null && r.head !== null ? { v: r.v, head: r.head, evicted: r.evicted } : undefined;
    checkVersion(id, row?.v, check.baseVersion);
    if (check.mustExist && !row) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    checkNotEvicted(id, row?.evicted);
    checkLease(id, leaseOf(r && r.owner !== null ? { owner: r.owner, token: r.token, expires: r.expires } : undefined), check.fence, check.now);
    return row;
  }

  /**
   * Inserts ops in order; returns each op's sequence number by opId (a message op's opId is its
   * message's id, which is how message rows find their op).
   */
  async insertOps(c: PgQueryable, id: ThreadID, ops: Op[]): Promise<Map<string, string>> {
    if (ops.length === 0) return new Map();
    const { rows } = await this.q<{ seq: string; v: number; op_id: string }>(
      this.sql.insertOps,
      [id, ops.map((o) => o.v), ops.map((o) => o.opId), ops.map(opBody)],
      c,
    );
    const dup = firstSkipped(ops, rows);
    if (dup) throw new SkeinError(ErrorCode.VALIDATION, `op ${dup.opId} (v${dup.v}) is already in thread ${id}`);
    return new Map(rows.map((r) => [r.op_id, r.seq]));
  }

  async insertMessages(c: PgQueryable, id: ThreadID, rows: { message: Message; hidden: boolean }[], seqOf: Map<string, string>): Promise<void> {
    if (rows.length > 0) await this.q(this.sql.insertMsgs, [id, rows.map((r) => r.message.key), rows.map((r) => seqOf.get(r.message.id)), ...usageParams(rows)], c);
  }

  /** Keeps links beside the head, each once, after the ones kept before. */
  async insertLinks(c: PgQueryable, id: ThreadID, links: readonly StoredLink[]): Promise<void> {
    if (links.length === 0) return;
    await this.q(this.sql.insertLinks, [id, links.map((l) => l.rel), links.map((l) => l.threadId), links.map((l) => l.messageId ?? '')], c);
  }

  /** Keeps meta keys beside the head: a key kept before takes the new value and writer. */
  async upsertMeta(c: PgQueryable, id: ThreadID, meta: readonly StoredMeta[]): Promise<void> {
    if (meta.length === 0) return;
    await this.q(this.sql.upsertMeta, [id, meta.map((m) => m.key), meta.map((m) => JSON.stringify(m.value)), meta.map((m) => JSON.stringify(m.stamp))], c);
  }

  /** Keeps hidden ranges beside the head, each once, after the ones kept before. */
  async insertRanges(c: PgQueryable, id: ThreadID, ranges: readonly HiddenRange[]): Promise<void> {
    if (ranges.length === 0) return;
    const col = (f: (r: HiddenRange) => string) => ranges.map(f);
    await this.q(this.sql.insertRanges, [id, col((r) => r.opId), col((r) => r.fromKey), col((r) => r.toKey), col((r) => r.fromMessageId)], c);
  }
}
