/**
 * The PostgreSQL backend, for the sync server. One database holds many workspaces: every row
 * carries its workspace (`ws`) and a backend instance reads and writes one workspace only. The op
 * log (`ops`, with a global `seq`) and the materialized view (`threads` heads, `messages` rows
 * pointing at their op) are written in one transaction, with the same semantics as SQLite.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import type { Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence, LeaseState, ListedHead, SearchHit, SearchRequest, StorageBackend, UsageRow } from '../backend.js';
import { checkLease, checkNotEvicted, checkVersion, checkWholeLog, messageOf, opBody, opFromRow, usageColumns } from '../view.js';
import { createPgPool, inTransaction, migrate, quoteSchema, uniqueViolation, type PgPool, type PgQueryable } from './driver.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { postgresSearch } from './search-sql.js';

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
type LeaseRow = { owner: string; token: string; expires: string };
type ThreadRow = { v: number; head: string; evicted: number | null };

const leaseOf = (r: LeaseRow | undefined): LeaseState | undefined =>
  r && { owner: r.owner, token: Number(r.token), expires: Number(r.expires) };

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
    await this.transaction(true, async (c) => {
      for (const b of batches) await this.commitOne(c, b, now);
    });
  }

  /** Runs `fn` in one transaction; `addsOps` when it hands out sequence numbers. */
  private async transaction(addsOps: boolean, fn: (c: PgQueryable) => Promise<void>): Promise<void> {
    this.checkOpen();
    await inTransaction(this.pool, async (c) => {
      // Sequence numbers are handed out before commit, so two writers of one workspace could make
      // seq 11 visible before seq 10; a reader that saw 11 (a pull cursor, a listThreads
      // snapshot) would then miss 10 for good. Writes that add ops to a workspace take turns.
      if (addsOps) await c.query(this.sql.wsLock, [`skein:${this.schema}:${this.workspace}`]);
      await fn(c);
    });
  }

  private async commitOne(c: PgQueryable, b: CommitBatch, now: number): Promise<void> {
    const id = b.threadId;
    const row = await this.lockThread(c, id, { baseVersion: b.baseVersion, fence: b.fence, now, mustExist: false });
    let count = row ? (JSON.parse(row.head) as ThreadHead).messageCount : 0;
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
    const head = JSON.stringify({ ...b.head, messageCount: count });
    await this.q(this.sql.updateThread, [id, b.head.v, highest(seqOf.values()), b.head.updated, head], c);
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
    const [row] = (await this.q<ThreadRow>(this.sql.lockThread, [id], c)).rows;
    checkVersion(id, row?.v, check.baseVersion);
    if (check.mustExist && !row) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    checkNotEvicted(id, row?.evicted);
    checkLease(id, leaseOf((await this.q<LeaseRow>(this.sql.leaseShared, [id], c)).rows[0]), check.fence, check.now);
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

  async opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]> {
    const { rows } = await this.q<MsgRow & { seq: string; thread: ThreadID }>(this.sql.since, [afterSeq, limit]);
    return rows.map((x) => ({ seq: Number(x.seq), op: opFromRow(x.thread, x.v, x.op_id, x.body) }));
  }

  async rewrite(
    change: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence },
    now: number,
  ): Promise<void> {
    await this.transaction(true, async (c) => {
      const id = change.threadId;
      await this.lockThread(c, id, { baseVersion: change.baseVersion, fence: change.fence, now, mustExist: true });
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
    await this.transaction(false, async (c) => {
      await this.lockThread(c, id, { baseVersion: v, fence: undefined, now, mustExist: true });
      // Marked first: the search index keeps the documents of an evicted thread's rows.
      await this.q(this.sql.setEvicted, [id, now], c);
      await this.q(this.sql.sumUsage, [id], c);
      await this.q(this.sql.deleteMsgs, [id], c);
      await this.q(this.sql.deleteOps, [id], c);
    });
  }

  async reinstate(id: ThreadID, ops: Op[], rows: { message: Message; hidden: boolean }[]): Promise<void> {
    await this.transaction(true, async (c) => {
      const [row] = (await this.q<ThreadRow>(this.sql.lockThread, [id], c)).rows;
      if (!row) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
      if (row.evicted === null) throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is not archived`, { details: { threadId: id } });
      checkWholeLog(id, row.v, ops);
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
    await this.transaction(false, async (c) => {
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
    await this.q(this.sql.setThread, [head.id, head.v, highest(seqs.values()), head.updated, JSON.stringify({ ...head, messageCount: count })], c);
  }

  async search(request: SearchRequest): Promise<SearchHit[]> {
    this.checkOpen();
    return postgresSearch(this.pool, quoteSchema(this.schema), this.workspace, request);
  }

  async reindex(): Promise<{ documents: number }> {
    const { rows } = await this.q<{ n: string }>(`SELECT ${quoteSchema(this.schema)}.search_reindex($1) AS n`);
    return { documents: Number(rows[0]!.n) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}

/** The highest of some sequence numbers (bigint columns arrive as strings), 0 for none. */
function highest(seqs: Iterable<string>): number {
  let n = 0;
  for (const s of seqs) n = Math.max(n, Number(s));
  return n;
}

/** The first op the insert skipped (its opId or version already taken), if any. */
function firstSkipped(ops: Op[], inserted: { v: number; op_id: string }[]): Op | undefined {
  if (inserted.length === ops.length) return undefined;
  const left = new Map<string, number>();
  for (const r of inserted) left.set(`${r.v}\n${r.op_id}`, (left.get(`${r.v}\n${r.op_id}`) ?? 0) + 1);
  return ops.find((op) => {
    const k = `${op.v}\n${op.opId}`;
    const n = left.get(k) ?? 0;
    left.set(k, n - 1);
    return n <= 0;
  });
}

const USAGE_SUMS = `coalesce(sum(in_tok), 0)::float8 AS "inputTokens", coalesce(sum(out_tok), 0)::float8 AS "outputTokens",
  coalesce(sum(cr_tok), 0)::float8 AS "cacheReadTokens", coalesce(sum(cw_tok), 0)::float8 AS "cacheWriteTokens",
  coalesce(sum(cost), 0)::float8 AS "costUSD", sum(n)::float8 AS messages`;

/** A message row that counts in usage: it has a model or any usage number. */
const USAGE_ROW = 'model IS NOT NULL OR in_tok IS NOT NULL OR out_tok IS NOT NULL OR cr_tok IS NOT NULL OR cw_tok IS NOT NULL OR cost IS NOT NULL';

/** Every statement of the backend, with tables qualified by schema; `$1` is always the workspace. */
function statements(s: string) {
  const msgSelect = `SELECT o.body, o.v, o.op_id FROM ${s}.messages m JOIN ${s}.ops o ON o.ws = m.ws AND o.seq = m.seq
    WHERE m.ws = $1 AND m.thread = $2 AND NOT m.hidden`;
  // Live rows (one message each) and the sums an eviction kept, added up group by group.
  const usage = (live: string, archived: string) => `SELECT grp AS "group", ${USAGE_SUMS} FROM (
      SELECT ${live} AS grp, in_tok, out_tok, cr_tok, cw_tok, cost, 1 AS n FROM ${s}.messages m
      WHERE m.ws = $1 AND m.thread = ANY($2::text[]) AND (${USAGE_ROW})
      UNION ALL
      SELECT ${archived}, in_tok, out_tok, cr_tok, cw_tok, cost, messages FROM ${s}.archived_usage a
      WHERE a.ws = $1 AND a.thread = ANY($2::text[])
    ) x GROUP BY 1 ORDER BY 1`;
  return {
    wsLock: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    head: `SELECT head FROM ${s}.threads WHERE ws = $1 AND id = $2`,
    lockThread: `SELECT v, head, evicted::float8 AS evicted FROM ${s}.threads WHERE ws = $1 AND id = $2 FOR UPDATE`,
    insertThread: `INSERT INTO ${s}.threads (ws, id, v, last_seq, updated, head) VALUES ($1, $2, $3, 0, $4, $5)`,
    updateThread: `UPDATE ${s}.threads SET v = $3, last_seq = greatest(last_seq, $4), updated = $5, head = $6 WHERE ws = $1 AND id = $2`,
    setThread: `UPDATE ${s}.threads SET v = $3, last_seq = $4, updated = $5, head = $6 WHERE ws = $1 AND id = $2`,
    since: `SELECT seq, thread, v, op_id, body FROM ${s}.ops WHERE ws = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3`,
    deleteOpsAfter: `DELETE FROM ${s}.ops WHERE ws = $1 AND thread = $2 AND v > $3::bigint`,
    // ORDER BY the input position so that seq rises with v inside a batch too.
    insertOps: `INSERT INTO ${s}.ops (ws, thread, v, op_id, body)
      SELECT $1, $2, u.v, u.op_id, u.body FROM unnest($3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS u(v, op_id, body, n) ORDER BY u.n
      ON CONFLICT DO NOTHING RETURNING seq, v, op_id`,
    insertMsgs: `INSERT INTO ${s}.messages (ws, thread, key, seq, hidden, model, day, in_tok, out_tok, cr_tok, cw_tok, cost)
      SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
        $10::bigint[], $11::bigint[], $12::float8[])`,
    hide: `UPDATE ${s}.messages SET hidden = true WHERE ws = $1 AND thread = $2 AND key >= $3 AND key < $4 AND NOT hidden`,
    ops: `SELECT v, op_id, body FROM ${s}.ops WHERE ws = $1 AND thread = $2 AND v > $3::bigint AND v <= $4::bigint ORDER BY v`,
    hasOp: `SELECT 1 FROM ${s}.ops WHERE ws = $1 AND thread = $2 AND op_id = $3`,
    opBody: `SELECT body FROM ${s}.ops WHERE ws = $1 AND thread = $2 AND op_id = $3`,
    opSeqs: `SELECT seq, op_id FROM ${s}.ops WHERE ws = $1 AND thread = $2`,
    before: `${msgSelect} AND m.key < $3 ORDER BY m.key DESC LIMIT $4 OFFSET $5`,
    newest: `${msgSelect} ORDER BY m.key DESC LIMIT $3 OFFSET $4`,
    after: `${msgSelect} AND m.key > $3 ORDER BY m.key LIMIT $4`,
    oldest: `${msgSelect} ORDER BY m.key LIMIT $3`,
    atIndex: `${msgSelect} ORDER BY m.key LIMIT 1 OFFSET $3`,
    hiddenAt: `SELECT hidden FROM ${s}.messages WHERE ws = $1 AND thread = $2 AND key = $3`,
    position: `SELECT count(*) FILTER (WHERE key < $3) AS n, bool_or(key = $3) AS visible FROM ${s}.messages
      WHERE ws = $1 AND thread = $2 AND NOT hidden AND key <= $3`,
    list: `WITH page AS (
        SELECT id, act FROM (
          SELECT id, last_seq AS act FROM ${s}.threads WHERE ws = $1 AND last_seq <= $2::bigint
          UNION ALL
          SELECT t.id, (SELECT max(o.seq) FROM ${s}.ops o WHERE o.ws = t.ws AND o.thread = t.id AND o.seq <= $2::bigint)
            FROM ${s}.threads t WHERE t.ws = $1 AND t.last_seq > $2::bigint
        ) x WHERE act IS NOT NULL AND act < $3::bigint ORDER BY act DESC LIMIT $4)
      SELECT t.head, page.act FROM page JOIN ${s}.threads t ON t.ws = $1 AND t.id = page.id ORDER BY page.act DESC`,
    maxSeq: `SELECT coalesce(max(seq), 0) AS n FROM ${s}.ops WHERE ws = $1`,
    usage: {
      model: usage("coalesce(m.model, '')", 'a.model'),
      day: usage('m.day', 'a.day'),
      all: usage(`''::text COLLATE "C"`, "''"),
    } as Record<'model' | 'day' | 'all', string>,
    inactive: `SELECT id FROM ${s}.threads WHERE ws = $1 AND evicted IS NULL AND updated < $2::bigint AND id > $3 ORDER BY id LIMIT $4`,
    sumUsage: `INSERT INTO ${s}.archived_usage (ws, thread, model, day, in_tok, out_tok, cr_tok, cw_tok, cost, messages)
      SELECT ws, thread, coalesce(model, ''), day, coalesce(sum(in_tok), 0), coalesce(sum(out_tok), 0), coalesce(sum(cr_tok), 0),
        coalesce(sum(cw_tok), 0), coalesce(sum(cost), 0), count(*)
      FROM ${s}.messages m WHERE ws = $1 AND thread = $2 AND (${USAGE_ROW}) GROUP BY 1, 2, 3, 4`,
    dropUsage: `DELETE FROM ${s}.archived_usage WHERE ws = $1 AND thread = $2`,
    deleteOps: `DELETE FROM ${s}.ops WHERE ws = $1 AND thread = $2`,
    setEvicted: `UPDATE ${s}.threads SET evicted = $3 WHERE ws = $1 AND id = $2`,
    unevict: `UPDATE ${s}.threads SET evicted = NULL, last_seq = $3 WHERE ws = $1 AND id = $2`,
    evicted: `SELECT evicted::float8 AS evicted FROM ${s}.threads WHERE ws = $1 AND id = $2`,
    lease: `SELECT owner, token, expires FROM ${s}.leases WHERE ws = $1 AND thread_id = $2`,
    leaseShared: `SELECT owner, token, expires FROM ${s}.leases WHERE ws = $1 AND thread_id = $2 FOR SHARE`,
    // One statement, so two processes racing for a free lease cannot both get it.
    acquire: `INSERT INTO ${s}.leases AS l (ws, thread_id, owner, token, expires) VALUES ($1, $2, $3, 1, $4)
      ON CONFLICT (ws, thread_id) DO UPDATE SET owner = excluded.owner, token = l.token + 1, expires = excluded.expires
      WHERE l.expires <= $5 RETURNING token`,
    renew: `UPDATE ${s}.leases SET expires = $5 WHERE ws = $1 AND thread_id = $2 AND owner = $3 AND token = $4`,
    release: `UPDATE ${s}.leases SET expires = 0 WHERE ws = $1 AND thread_id = $2 AND owner = $3 AND token = $4`,
    inconsistent: `SELECT t.id FROM ${s}.threads t
      WHERE t.ws = $1 AND t.evicted IS NULL AND t.v <> coalesce((SELECT max(o.v) FROM ${s}.ops o WHERE o.ws = t.ws AND o.thread = t.id), 0)`,
    deleteMsgs: `DELETE FROM ${s}.messages WHERE ws = $1 AND thread = $2`,
  };
}
