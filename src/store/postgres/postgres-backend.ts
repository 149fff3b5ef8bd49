/**
 * The PostgreSQL backend, for the sync server. One database holds many workspaces: every row
 * carries its workspace (`ws`) and a backend instance reads and writes one workspace only. The op
 * log (`ops`, with a global `seq`) and the materialized view (`threads` heads, `messages` rows
 * pointing at their op) are written in one transaction, with the same semantics as SQLite.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { boundHead, linksOf, type StoredLink } from '../../model/bounded-links.js';
import { metaOf, type StoredMeta } from '../../model/bounded-meta.js';
import type { KeySpan } from '../../model/hidden.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence, LeaseState, ListedHead, PendingMention, SearchHit, SearchRequest, StorageBackend, UsageRow } from '../backend.js';
import { checkWholeLog, linkOfRow, messageOf, metaOfRow, opFromRow, type LinkRow, type MetaRow } from '../view.js';
import { createPgPool, inTransaction, migrate, quoteSchema, uniqueViolation, type PgPool, type PgQueryable } from './driver.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { highest, leaseOf, type LeaseRow } from './rows.js';
import { postgresSearch } from './search-sql.js';
import { batchStatements, commitAloneParams } from './batch-sql.js';
import { statements } from './statements.js';
import { PgWrites, type ThreadRow } from './writes.js';

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
  private readonly batchSql: ReturnType<typeof batchStatements>;
  private readonly w: PgWrites;
  private closed = false;

  constructor(pool: PgPool, options: { schema: string; workspace: string; ownsPool: boolean }) {
    this.pool = pool;
    this.ownsPool = options.ownsPool;
    this.schema = options.schema;
    this.workspace = options.workspace;
    this.sql = statements(quoteSchema(options.schema));
    this.batchSql = batchStatements(quoteSchema(options.schema));
    this.w = new PgWrites((sql, params, on) => this.q(sql, params, on), this.sql, this.batchSql, this.lockKey);
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
    if (batches.length === 1 && (await this.commitAlone(batches[0]!, now))) return;
    await this.transaction(async (c) => {
      if (batches.length === 1) return this.w.commitOne(c, batches[0]!, now, true);
      // Every lock on a thread row is taken before the workspace lock (see wsLock): several
      // threads' rows are locked up front, in id order, so two such commits cannot deadlock.
      const ids = [...new Set(batches.map((b) => b.threadId))].sort();
      await this.q(this.sql.lockThreads, [ids], c);
      await this.w.wsLock(c);
      for (const b of batches) await this.w.commitOne(c, b, now, false);
    });
  }

  /**
   * The common commit in one statement (batch-sql.ts); false when it wrote nothing (the batch
   * does not qualify, a check failed, or an op is a duplicate): the general path then decides.
   */
  private async commitAlone(b: CommitBatch, now: number, headText: string | null = null): Promise<boolean> {
    const params = commitAloneParams(b, this.lockKey, now, headText);
    if (!params) return false;
    try {
      const { rows } = await this.q<{ n: number }>(this.batchSql.commitAlone, params);
      return rows[0]?.n === b.ops.length;
    } catch (err) {
      if (uniqueViolation(err) !== undefined) return false;
      throw err;
    }
  }

  async commitIfHead(batch: CommitBatch, headText: string, now: number): Promise<boolean> {
    return this.commitAlone(batch, now, headText);
  }

  /** Runs `fn` in one transaction. */
  private async transaction(fn: (c: PgQueryable) => Promise<void>): Promise<void> {
    this.checkOpen();
    await inTransaction(this.pool, fn);
  }

  /** The key of the workspace's advisory lock. */
  private get lockKey(): string {
    return `skein:${this.schema}:${this.workspace}`;
  }

  async hiddenRanges(id: ThreadID, span?: KeySpan): Promise<HiddenRange[]> {
    type RangeRow = { op_id: string; from_key: string; to_key: string; from_msg: string };
    const { rows } = span ? await this.q<RangeRow>(this.sql.rangesIn, [id, span.from, span.to]) : await this.q<RangeRow>(this.sql.ranges, [id]);
    return rows.map((x) => ({ fromKey: x.from_key, toKey: x.to_key, fromMessageId: x.from_msg, opId: x.op_id }));
  }

  async threadLinks(id: ThreadID, only?: readonly StoredLink[]): Promise<StoredLink[]> {
    if (only?.length === 0) return [];
    const col = (f: (l: StoredLink) => string) => (only ?? []).map(f);
    const { rows } = only
      ? await this.q<LinkRow>(this.sql.linksIn, [id, col((l) => l.rel), col((l) => l.threadId), col((l) => l.messageId ?? '')])
      : await this.q<LinkRow>(this.sql.links, [id]);
    return rows.map(linkOfRow);
  }

  async threadMeta(id: ThreadID, keys?: readonly string[]): Promise<StoredMeta[]> {
    if (keys?.length === 0) return [];
    const { rows } = keys ? await this.q<MetaRow>(this.sql.metaIn, [id, keys]) : await this.q<MetaRow>(this.sql.meta, [id]);
    return rows.map(metaOfRow);
  }

  async opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]> {
    const { rows } = await this.q<MsgRow & { seq: string; thread: ThreadID }>(this.sql.since, [afterSeq, limit]);
    return rows.map((x) => ({ seq: Number(x.seq), op: opFromRow(x.thread, x.v, x.op_id, x.body) }));
  }

  async seqsSince(afterSeq: number, limit: number): Promise<number[]> {
    return (await this.q<{ seq: string }>(this.sql.seqsSince, [afterSeq, limit])).rows.map((r) => Number(r.seq));
  }

  async rewrite(
    change: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence },
    now: number,
  ): Promise<void> {
    await this.transaction(async (c) => {
      const id = change.threadId;
      await this.w.lockThread(c, id, { baseVersion: change.baseVersion, fence: change.fence, now, mustExist: true });
      await this.w.wsLock(c);
      await this.q(this.sql.deleteOpsAfter, [id, change.keepVersion], c);
      await this.w.insertOps(c, id, change.ops);
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
      await this.w.lockThread(c, id, { baseVersion: v, fence: undefined, now, mustExist: true });
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
      await this.w.wsLock(c);
      const seqOf = await this.w.insertOps(c, id, ops);
      await this.w.insertMessages(c, id, rows, seqOf);
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
    await this.w.insertMessages(c, head.id, rows, seqs);
    const count = rows.filter((r) => !r.hidden).length;
    // A whole head (rebuilt from the log) holds every range; a bounded one only adds to those kept.
    if (head.clock.hiddenBefore === undefined) await this.q(this.sql.deleteRanges, [head.id], c);
    await this.w.insertRanges(c, head.id, head.clock.hidden);
    // Likewise for links: a head without cut lists shows every link.
    if (head.clock.linkCounts === undefined) await this.q(this.sql.deleteLinks, [head.id], c);
    await this.w.insertLinks(c, head.id, linksOf(head));
    if (head.clock.metaCount === undefined) await this.q(this.sql.deleteMeta, [head.id], c);
    await this.w.upsertMeta(c, head.id, metaOf(head));
    const stored = JSON.stringify(boundHead({ ...head, messageCount: count }));
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
