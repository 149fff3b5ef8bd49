/**
 * The PostgreSQL backend, for the sync server. One database holds many workspaces: every row
 * carries its workspace (`ws`) and a backend instance reads and writes one workspace only. The op
 * log (`ops`, with a global `seq`) and the materialized view (`threads` heads, `messages` rows
 * pointing at their op) are written in one transaction, with the same semantics as SQLite.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { boundHidden, type KeySpan } from '../../model/hidden.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence, LeaseState, ListedHead, PendingMention, SearchHit, SearchRequest, StorageBackend, UsageRow } from '../backend.js';
import { checkLease, checkNotEvicted, checkVersion, checkWholeLog, messageOf, opBody, opFromRow, usageColumns } from '../view.js';
import { createPgPool, inTransaction, migrate, quoteSchema, uniqueViolation, type PgPool, type PgQueryable } from './driver.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { firstSkipped, highest, leaseOf, mentionColumns, type LeaseRow } from './rows.js';
import { postgresSearch } from './search-sql.js';
import { statements } from './statements.js';

/** Where the backend keeps its data and whose data it is. */
export interface PostgresBackendOptions {
  /** A pool to share (several workspaces may use one); left open by `close()`. */
  pool?: PgPool;
  /** Used when no `pool` is given: the backend opens a pool of its own and ends it on `close()`. */
  connectionString?: string;
  /** The schema that holds the tables (created when missing); default `skein`. */
  schema?: string;
  /** The workspace this instance reads and writes. */
  workspace: string;
}

type MsgRow = { body: string; v: number; op_id: string };
type ThreadRow = { v: number; head: string; evicted: number | null };

/**
 * Opens the backend for one workspace, bringing the schema to the newest version first. Give
 * either `pool` or `connectionString`.
 */
export async function openPostgresBackend(options: PostgresBackendOptions): Promise<PostgresBackend> {
  const schema = options.schema ?? 'skein';
  quoteSchema(schema);
  if (typeof options.workspace !== 'string' || options.workspace.length === 0)
    throw new SkeinError(ErrorCode.VALIDATION, 'workspace: must be a non-empty string', { details: { field: 'workspace' } });
  if (!options.pool && !options.connectionString)
    throw new SkeinError(ErrorCode.VALIDATION, 'pool or connectionString: one is required', { details: { field: 'connectionString' } });
  const pool = options.pool ?? createPgPool(options.connectionString!);
  try {
    await migrate(pool, schema, POSTGRES_MIGRATIONS);
  } catch (err) {
    if (!options.pool) await pool.end().catch(() => undefined);
    throw err;
  }
  return new PostgresBackend(pool, { schema, workspace: options.workspace, ownsPool: !options.pool });
}

/** See the module comment. Made by {@link openPostgresBackend}, which migrates the schema first. */
export class PostgresBackend implements StorageBackend {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly workspace: string;
  private readonly pool: PgPool;
  private readonly ownsPool: boolean;
  private readonly sql: ReturnType<typeof statements>;
  private closed = false;

  constructor(pool: PgPool, options: { schema: string; workspace: string; ownsPool: boolean }) {
    this.pool = pool;
    this.ownsPool = options.ownsPool;
    this.schema = options.schema;
    this.workspace = options.workspace;
    this.sql = statements(quoteSchema(options.schema));
  }

  private checkOpen(): void {
    if (this.closed) throw new SkeinError(ErrorCode.CLOSED, 'the postgres backend is closed');
  }

  /** Runs one statement with the workspace as `$1`. */
  private async q<R>(sql: string, params: unknown[] = [], on: PgQueryable = this.pool): Promise<{ rows: R[]; rowCount: number }> {
    this.checkOpen();
    const r = await on.query(sql, [this.workspace, ...params]);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async getHead(id: ThreadID): Promise<ThreadHead | undefined> {
    const { rows } = await this.q<{ head: string }>(this.sql.head, [id]);
    return rows[0] && (JSON.parse(rows[0].head) as ThreadHead);
  }

  async commit(batches: CommitBatch[], now: number): Promise<void> {
    await this.transaction(async (c) => {
      if (batches.length === 1) return this.commitOne(c, batches[0]!, now, true);
      // Every lock on a thread row is taken before the workspace lock (see wsLock): several
      // threads' rows are locked up front, in id order, so two such commits cannot deadlock.
      const ids = [...new Set(batches.map((b) => b.threadId))].sort();
      await this.q(this.sql.lockThreads, [ids], c);
      await this.wsLock(c);
      for (const b of batches) await this.commitOne(c, b, now, false);
    });
  }

  /** Runs `fn` in one transaction. */
  private async transaction(fn: (c: PgQueryable) => Promise<void>): Promise<void> {
    this.checkOpen();
    await inTransaction(this.pool, fn);
  }

  /**
   * Takes the workspace's write turn, held until the transaction ends. Sequence numbers are handed
   * out before commit, so two writers of one workspace could make seq 11 visible before seq 10; a
   * reader that saw 11 (a pull cursor, a listThreads snapshot) would then miss 10 for good. Writes
   * that add ops take turns, but only from their first seq-assigning insert on: the thread row
   * lock, version, eviction and lease checks come first, outside the turn. Every writer takes its
   * thread row lock(s) before this lock, never after, so the two kinds of lock cannot deadlock.
   */
  private async wsLock(c: PgQueryable): Promise<void> {
    await c.query(this.sql.wsLock, [`skein:${this.schema}:${this.workspace}`]);
  }

  /** Writes one batch; `takeTurn` when the workspace lock is still to be taken (after the row lock). */
  private async commitOne(c: PgQueryable, b: CommitBatch, now: number, takeTurn: boolean): Promise<void> {
    const id = b.threadId;
    const row = await this.lockThread(c, id, { baseVersion: b.baseVersion, fence: b.fence, now, mustExist: false });
    let count = row ? (JSON.parse(row.head) as ThreadHead).messageCount : 0;
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
    const head = JSON.stringify(boundHidden({ ...b.head, messageCount: count }));
    await this.q(this.sql.updateThread, [id, b.head.v, highest(seqOf.values()), b.head.updated, head], c);
    if (b.mentions?.length) await this.q(this.sql.queueMentions, mentionColumns(b.mentions), c);
  }

  /**
   * Locks the thread row (when stored) and checks what every write checks, in this order: the
   * version, that the thread exists (when `mustExist`), that it is not evicted, and the lease.
   */
  private async lockThread(
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
  private async insertOps(c: PgQueryable, id: ThreadID, ops: Op[]): Promise<Map<string, string>> {
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

  private async insertMessages(
    c: PgQueryable,
    id: ThreadID,
    rows: { message: Message; hidden: boolean }[],
    seqOf: Map<string, string>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const cols = rows.map(({ message }) => usageColumns(message));
    const col = (i: number) => cols.map((u) => u[i]);
    await this.q(
      this.sql.insertMsgs,
      [
        id,
        rows.map((r) => r.message.key),
        rows.map((r) => seqOf.get(r.message.id)),
        rows.map((r) => r.hidden),
        ...[0, 1, 2, 3, 4, 5, 6].map(col),
      ],
      c,
    );
  }

  /** Keeps hidden ranges beside the head, each once, after the ones kept before. */
  private async insertRanges(c: PgQueryable, id: ThreadID, ranges: readonly HiddenRange[]): Promise<void> {
    if (ranges.length === 0) return;
    const col = (f: (r: HiddenRange) => string) => ranges.map(f);
    await this.q(this.sql.insertRanges, [id, col((r) => r.opId), col((r) => r.fromKey), col((r) => r.toKey), col((r) => r.fromMessageId)], c);
  }

  async hiddenRanges(id: ThreadID, span?: KeySpan): Promise<HiddenRange[]> {
    type RangeRow = { op_id: string; from_key: string; to_key: string; from_msg: string };
    const { rows } = span ? await this.q<RangeRow>(this.sql.rangesIn, [id, span.from, span.to]) : await this.q<RangeRow>(this.sql.ranges, [id]);
    return rows.map((x) => ({ fromKey: x.from_key, toKey: x.to_key, fromMessageId: x.from_msg, opId: x.op_id }));
  }

  async opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]> {
    const { rows } = await this.q<MsgRow & { seq: string; thread: ThreadID }>(this.sql.since, [afterSeq, limit]);
    return rows.map((x) => ({ seq: Number(x.seq), op: opFromRow(x.thread, x.v, x.op_id, x.body) }));
  }

  async rewrite(
    change: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence },
    now: number,
  ): Promise<void> {
    await this.transaction(async (c) => {
      const id = change.threadId;
      await this.lockThread(c, id, { baseVersion: change.baseVersion, fence: change.fence, now, mustExist: true });
      await this.wsLock(c);
      await this.q(this.sql.deleteOpsAfter, [id, change.keepVersion], c);
      await this.insertOps(c, id, change.ops);
      await this.writeView(c, change.head, change.rows);
    });
  }

  async ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]> {
    const { rows } = await this.q<MsgRow>(this.sql.ops, [id, fromVersion, toVersion]);
    return rows.map((x) => opFromRow(id, x.v, x.op_id, x.body));
  }

  async hasOp(id: ThreadID, opId: string): Promise<boolean> {
    return (await this.q(this.sql.hasOp, [id, opId])).rows.length > 0;
  }

  private toMessages(id: ThreadID, rows: MsgRow[]): Message[] {
    return rows.map((x) => messageOf(opFromRow(id, x.v, x.op_id, x.body))!);
  }

  async messagesBefore(id: ThreadID, beforeKey: string | undefined, limit: number, offset: number): Promise<Message[]> {
    const { rows } =
      beforeKey === undefined
        ? await this.q<MsgRow>(this.sql.newest, [id, limit, offset])
        : await this.q<MsgRow>(this.sql.before, [id, beforeKey, limit, offset]);
    return this.toMessages(id, rows);
  }

  async messagesAfter(id: ThreadID, afterKey: string | undefined, limit: number): Promise<Message[]> {
    const { rows } =
      afterKey === undefined ? await this.q<MsgRow>(this.sql.oldest, [id, limit]) : await this.q<MsgRow>(this.sql.after, [id, afterKey, limit]);
    return this.toMessages(id, rows);
  }

  async locate(id: ThreadID, at: { messageId: string } | { index: number }): Promise<{ index: number; message: Message } | undefined> {
    if ('index' in at) {
      const [m] = this.toMessages(id, (await this.q<MsgRow>(this.sql.atIndex, [id, at.index])).rows);
      return m && { index: at.index, message: m };
    }
    const m = await this.messageById(id, at.messageId);
    if (!m?.key) return undefined;
    const [pos] = (await this.q<{ n: string; visible: boolean | null }>(this.sql.position, [id, m.key])).rows;
    return pos?.visible ? { index: Number(pos.n), message: m } : undefined;
  }

  async findMessage(id: ThreadID, messageId: string): Promise<Message | undefined> {
    const m = await this.messageById(id, messageId);
    if (!m?.key) return undefined;
    const [row] = (await this.q<{ hidden: boolean }>(this.sql.hiddenAt, [id, m.key])).rows;
    return row && !row.hidden ? m : undefined;
  }

  /** The message a message op carries (message ops have the message's id), visible or not. */
  private async messageById(id: ThreadID, messageId: string): Promise<Message | undefined> {
    const [row] = (await this.q<{ body: string }>(this.sql.opBody, [id, messageId])).rows;
    return row && messageOf(opFromRow(id, 0, messageId, row.body));
  }

  async listThreads(opts: { limit: number; snapshot: number; below?: number }): Promise<ListedHead[]> {
    const { rows } = await this.q<{ head: string; act: string }>(this.sql.list, [opts.snapshot, opts.below ?? Number.MAX_SAFE_INTEGER, opts.limit]);
    return rows.map((x) => ({ head: JSON.parse(x.head) as ThreadHead, activity: Number(x.act) }));
  }

  async maxSeq(): Promise<number> {
    return Number((await this.q<{ n: string }>(this.sql.maxSeq)).rows[0]!.n);
  }

  async usage(ids: ThreadID[], by: 'model' | 'day' | 'all'): Promise<UsageRow[]> {
    if (ids.length === 0) return [];
    return (await this.q<UsageRow>(this.sql.usage[by], [ids])).rows;
  }

  async inactiveThreads(opts: { updatedBefore: number; limit: number; after?: ThreadID }): Promise<ThreadID[]> {
    const { rows } = await this.q<{ id: ThreadID }>(this.sql.inactive, [opts.updatedBefore, opts.after ?? '', opts.limit]);
    return rows.map((r) => r.id);
  }

  async evict(id: ThreadID, v: number, now: number): Promise<void> {
    await this.transaction(async (c) => {
      await this.lockThread(c, id, { baseVersion: v, fence: undefined, now, mustExist: true });
      // Marked first: the search index keeps the documents of an evicted thread's rows.
      await this.q(this.sql.setEvicted, [id, now], c);
      await this.q(this.sql.sumUsage, [id], c);
      await this.q(this.sql.deleteMsgs, [id], c);
      await this.q(this.sql.deleteOps, [id], c);
    });
  }

  async reinstate(id: ThreadID, ops: Op[], rows: { message: Message; hidden: boolean }[]): Promise<void> {
    await this.transaction(async (c) => {
      const [row] = (await this.q<ThreadRow>(this.sql.lockThread, [id], c)).rows;
      if (!row) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      if (row.evicted === null) throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is not archived`, { details: { threadId: id } });
      checkWholeLog(id, row.v, ops);
      await this.wsLock(c);
      const seqOf = await this.insertOps(c, id, ops);
      await this.insertMessages(c, id, rows, seqOf);
      await this.q(this.sql.dropUsage, [id], c);
      await this.q(this.sql.unevict, [id, highest(seqOf.values())], c);
    });
  }

  async evicted(id: ThreadID): Promise<number | undefined> {
    return (await this.q<{ evicted: number | null }>(this.sql.evicted, [id])).rows[0]?.evicted ?? undefined;
  }

  async acquireLease(id: ThreadID, owner: string, ttlMs: number, now: number): Promise<number | undefined> {
    const [row] = (await this.q<{ token: string }>(this.sql.acquire, [id, owner, now + ttlMs, now])).rows;
    return row && Number(row.token);
  }

  async renewLease(id: ThreadID, fence: Fence, ttlMs: number, now: number): Promise<boolean> {
    return (await this.q(this.sql.renew, [id, fence.owner, fence.token, now + ttlMs])).rowCount === 1;
  }

  async releaseLease(id: ThreadID, fence: Fence): Promise<void> {
    await this.q(this.sql.release, [id, fence.owner, fence.token]);
  }

  async lease(id: ThreadID): Promise<LeaseState | undefined> {
    return leaseOf((await this.q<LeaseRow>(this.sql.lease, [id])).rows[0]);
  }

  async inconsistentThreads(): Promise<ThreadID[]> {
    return (await this.q<{ id: ThreadID }>(this.sql.inconsistent)).rows.map((r) => r.id);
  }

  async replaceView(head: ThreadHead, rows: { message: Message; hidden: boolean }[]): Promise<void> {
    await this.transaction(async (c) => {
      if ((await this.q(this.sql.lockThread, [head.id], c)).rows.length === 0)
        throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${head.id} not found`);
      await this.writeView(c, head, rows);
    });
  }

  /** Replaces the message rows and head of a locked thread; messageCount is counted from `rows`. */
  private async writeView(c: PgQueryable, head: ThreadHead, rows: { message: Message; hidden: boolean }[]): Promise<void> {
    const ops = (await this.q<{ seq: string; op_id: string }>(this.sql.opSeqs, [head.id], c)).rows;
    const seqs = new Map(ops.map((x) => [x.op_id, x.seq]));
    await this.q(this.sql.deleteMsgs, [head.id], c);
    await this.insertMessages(c, head.id, rows, seqs);
    const count = rows.filter((r) => !r.hidden).length;
    // A whole head (rebuilt from the log) holds every range; a bounded one only adds to those kept.
    if (head.clock.hiddenBefore === undefined) await this.q(this.sql.deleteRanges, [head.id], c);
    await this.insertRanges(c, head.id, head.clock.hidden);
    const stored = JSON.stringify(boundHidden({ ...head, messageCount: count }));
    await this.q(this.sql.setThread, [head.id, head.v, highest(seqs.values()), head.updated, stored], c);
  }

  async search(request: SearchRequest): Promise<SearchHit[]> {
    this.checkOpen();
    return postgresSearch(this.pool, quoteSchema(this.schema), this.workspace, request);
  }

  async reindex(): Promise<{ documents: number }> {
    const { rows } = await this.q<{ n: string }>(`SELECT ${quoteSchema(this.schema)}.search_reindex($1) AS n`);
    return { documents: Number(rows[0]!.n) };
  }

  async pendingMentions(afterSeq: number, limit: number): Promise<(PendingMention & { seq: number })[]> {
    return (await this.q<PendingMention & { seq: number }>(this.sql.pendingMentions, [afterSeq, limit])).rows;
  }

  async dropMentions(seqs: number[]): Promise<void> {
    await this.q(this.sql.dropMentions, [seqs]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
