/**
 * The local SQLite backend (better-sqlite3, WAL). The op log (`ops`) and the materialized view
 * (`threads` heads, `messages` rows pointing at their op) are written in one transaction; message
 * bodies live only in the log, so a message is stored once.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { boundHead, linksOf, type StoredLink } from '../../model/bounded-links.js';
import { metaOf, type StoredMeta } from '../../model/bounded-meta.js';
import { addBeside, readLinks, readMeta, replaceBeside } from './beside-head.js';
import type { KeySpan } from '../../model/hidden.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence, LeaseState, ListedHead, OpTextRow, PendingMention, SearchHit, SearchIndexProgress, SearchRequest, StorageBackend, UsageRow } from '../backend.js';
import { checkLease, checkNotEvicted, checkVersion, checkWholeLog, messageOf, opBody, opFromRow, opTextFromRow, clientIdOfBody, usageColumns } from '../view.js';
import { migrate, openSqlite, writeFailure, type SqliteDatabase, type SqliteStatement } from './driver.js';
import { usageOf } from './usage-sql.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SQLITE_STATEMENTS, type SqliteStatementName } from './statements.js';
import { sqliteReindex, sqliteSearch } from './search-sql.js';
import { SearchCatchUp } from './search-catch-up.js';

/** Options of the SQLite backend. */
export interface SqliteBackendOptions {
  /** `full` (default) fsyncs every commit: a resolved write survives power loss; `normal` survives a process crash. */
  durability?: 'full' | 'normal';
}

/** WAL pages between automatic checkpoints. */
const WAL_CHECKPOINT_PAGES = 4000;

type ThreadRow = { tid: number; v: number; head: string; evicted?: number | null };
type MsgRow = { body: string; v: number; op_id: string; id: string };
type RangeRow = { op_id: string; from_key: string; to_key: string; from_msg: string };

/** Opens (and migrates) the SQLite backend in a file; `:memory:` gives a private in-memory database. */
export function openSqliteBackend(file: string, options: SqliteBackendOptions = {}): SqliteBackend {
  return new SqliteBackend(file, options);
}

/** See the module comment. */
export class SqliteBackend implements StorageBackend {
  readonly kind = 'sqlite';
  readonly db: SqliteDatabase;
  private readonly s: Record<SqliteStatementName, SqliteStatement>;
  /** The commit transaction, made once: better-sqlite3 wrappers are not free to create per call. */
  private readonly commitTx: { immediate(batches: CommitBatch[], now: number): void };
  private readonly searchCatchUp: SearchCatchUp;

  /** Opens `source` (a file), or takes a database the caller opened (the composition root shares it with file records). */
  constructor(source: string | SqliteDatabase, options: SqliteBackendOptions = {}) {
    this.db = typeof source === 'string' ? openSqlite(source, { synchronous: options.durability === 'normal' ? 'NORMAL' : 'FULL' }) : source;
    this.db.pragma('foreign_keys = OFF');
    // A checkpoint costs two fsyncs (at `normal` the only ones): every 4,000 WAL pages (16 MiB)
    // instead of SQLite's 1,000, so an append pays a quarter of them.
    this.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    migrate(this.db, SQLITE_MIGRATIONS);
    this.s = Object.fromEntries(Object.entries(SQLITE_STATEMENTS).map(([name, sql]) => [name, this.db.prepare(sql)])) as Record<SqliteStatementName, SqliteStatement>;
    this.searchCatchUp = new SearchCatchUp(this.db);
    this.commitTx = this.db.transaction((batches: CommitBatch[], now: number) => {
      for (const b of batches) this.commitOne(b, now);
    });
  }

  private row(id: ThreadID): ThreadRow | undefined {
    return this.s.thread.get(id) as ThreadRow | undefined;
  }

  async getHead(id: ThreadID): Promise<ThreadHead | undefined> {
    const r = this.row(id);
    return r ? (JSON.parse(r.head) as ThreadHead) : undefined;
  }

  async commit(batches: CommitBatch[], now: number): Promise<void> {
    try {
      this.commitTx.immediate(batches, now);
    } catch (err) {
      throw writeFailure(err, this.db.name);
    }
  }

  private commitOne(b: CommitBatch, now: number): void {
    const s = this.s;
    let row = s.commitRow.get(b.threadId) as { tid: number; v: number; evicted: number | null; msgs: number } | undefined;
    checkVersion(b.threadId, row?.v, b.baseVersion);
    checkNotEvicted(b.threadId, row?.evicted);
    checkLease(b.threadId, s.lease.get(b.threadId) as LeaseState | undefined, b.fence, now);
    let count = row ? row.msgs : 0;
    // A stored thread's ranges are kept already but for the batch's own; a new one's head holds all of them.
    const ranges = row ? b.hides : [...b.head.clock.hidden, ...b.hides];
    const isNew = !row;
    if (!row) {
      const tid = Number(s.insertThread.run(b.threadId, b.head.v, b.head.updated, '{}').lastInsertRowid);
      row = { tid, v: 0, evicted: null, msgs: 0 };
    }
    const seqOf = this.insertOps(row.tid, b.threadId, b.ops);
    for (const { message, hidden } of b.inserts) {
      s.insertMsg.run(row.tid, message.key, seqOf.get(message.id), hidden ? 1 : 0, ...usageColumns(message));
      this.insertCalls(row.tid, message);
      if (!hidden) count++;
    }
    for (const r of b.hides) count -= s.hide.run(row.tid, r.fromKey, r.toKey).changes;
    // Likewise for links and meta keys: a stored thread's batch adds its own, a new thread's head holds all.
    addBeside(s, row.tid, { ranges, links: isNew ? linksOf(b.head) : (b.links ?? []), meta: isNew ? metaOf(b.head) : (b.meta ?? []) });
    let lastSeq = 0;
    for (const seq of seqOf.values()) if (seq > lastSeq) lastSeq = seq;
    s.updateThread.run(b.head.v, lastSeq, b.head.updated, JSON.stringify(boundHead({ ...b.head, messageCount: count })), b.head.title ?? null, count, row.tid);
    for (const m of b.mentions ?? []) s.queueMention.run(m.target, m.threadId, m.messageId);
  }

  async threadLinks(id: ThreadID, only?: readonly StoredLink[]): Promise<StoredLink[]> {
    const r = this.row(id);
    return r ? readLinks(this.s, r.tid, only) : [];
  }

  async threadMeta(id: ThreadID, keys?: readonly string[]): Promise<StoredMeta[]> {
    const r = this.row(id);
    return r ? readMeta(this.s, r.tid, keys) : [];
  }

  async hiddenRanges(id: ThreadID, span?: KeySpan): Promise<HiddenRange[]> {
    const r = this.row(id);
    if (!r) return [];
    const rows = (span ? this.s.rangesIn.all(r.tid, span.from, span.to) : this.s.ranges.all(r.tid)) as RangeRow[];
    return rows.map((x) => ({ fromKey: x.from_key, toKey: x.to_key, fromMessageId: x.from_msg, opId: x.op_id }));
  }

  /** Inserts ops; returns the sequence number of each message op by message id (and '' -> the last). */
  private insertOps(tid: number, threadId: ThreadID, ops: Op[]): Map<string, number> {
    const seqOf = new Map<string, number>();
    for (const op of ops) {
      let seq: number;
      try {
        seq = Number(this.s.insertOp.run(tid, op.v, op.opId, opBody(op)).lastInsertRowid);
      } catch (err) {
        if (/UNIQUE/.test(String(err)))
          throw new SkeinError(ErrorCode.VALIDATION, `op ${op.opId} (v${op.v}) is already in thread ${threadId}`, { cause: err });
        throw err;
      }
      seqOf.set(messageOf(op)?.id ?? '', seq);
    }
    return seqOf;
  }

  /** Indexes the tool calls a message makes (inside the caller's transaction). */
  private insertCalls(tid: number, message: Message): void {
    for (const c of message.toolCalls ?? []) this.s.insertCall.run(tid, c.id, message.key);
  }

  async callKey(id: ThreadID, callId: string): Promise<string | undefined> {
    return (this.s.callKey.get(id, callId) as { key: string } | undefined)?.key;
  }

  async opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]> {
    return this.sinceRows(afterSeq, limit).map((x) => ({ seq: x.seq, op: opFromRow(x.id, x.v, x.op_id, x.body) }));
  }

  async opTextsSince(afterSeq: number, limit: number): Promise<OpTextRow[]> {
    return this.sinceRows(afterSeq, limit).map((x) => ({ seq: x.seq, threadId: x.id, v: x.v, clientId: clientIdOfBody(x.body), text: () => opTextFromRow(x.id, x.v, x.op_id, x.body) }));
  }

  private sinceRows(afterSeq: number, limit: number): { seq: number; v: number; op_id: string; body: string; id: ThreadID }[] {
    return this.s.since.all(afterSeq, limit) as { seq: number; v: number; op_id: string; body: string; id: ThreadID }[];
  }

  async seqsSince(afterSeq: number, limit: number): Promise<number[]> {
    return (this.s.seqsSince.all(afterSeq, limit) as { seq: number }[]).map((r) => r.seq);
  }

  async rewrite(
    c: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence },
    now: number,
  ): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.row(c.threadId);
        checkVersion(c.threadId, row?.v, c.baseVersion);
        if (!row) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${c.threadId} not found`);
        checkNotEvicted(c.threadId, row.evicted);
        checkLease(c.threadId, this.s.lease.get(c.threadId) as LeaseState | undefined, c.fence, now);
        this.s.raiseSeqFloor.run();
        this.s.deleteOpsAfter.run(row.tid, c.keepVersion);
        this.insertOps(row.tid, c.threadId, c.ops);
        this.writeView(row.tid, c.head, c.rows);
      })
      .immediate();
  }

  /** Replaces the message rows and head of a thread (inside a caller's transaction). */
  private writeView(tid: number, head: ThreadHead, rows: { message: Message; hidden: boolean }[]): void {
    const seqs = new Map(
      (this.s.opSeqs.all(tid) as { seq: number; op_id: string }[]).map((x) => [x.op_id, x.seq]),
    );
    this.s.deleteMsgs.run(tid);
    this.s.deleteCalls.run(tid);
    let count = 0;
    for (const { message, hidden } of rows) {
      this.s.insertMsg.run(tid, message.key, seqs.get(message.id), hidden ? 1 : 0, ...usageColumns(message));
      this.insertCalls(tid, message);
      if (!hidden) count++;
    }
    replaceBeside(this.s, tid, head);
    let last = 0;
    for (const seq of seqs.values()) if (seq > last) last = seq;
    this.s.setThread.run(head.v, last, head.updated, JSON.stringify(boundHead({ ...head, messageCount: count })), head.title ?? null, count, tid);
  }

  async ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]> {
    return this.opRows(id, fromVersion, toVersion).map((x) => opFromRow(id, x.v, x.op_id, x.body));
  }

  async opTexts(id: ThreadID, fromVersion: number, toVersion: number): Promise<{ v: number; text: string }[]> {
    return this.opRows(id, fromVersion, toVersion).map((x) => ({ v: x.v, text: opTextFromRow(id, x.v, x.op_id, x.body) }));
  }

  private opRows(id: ThreadID, fromVersion: number, toVersion: number): { v: number; op_id: string; body: string }[] {
    const r = this.row(id);
    return r ? (this.s.ops.all(r.tid, fromVersion, toVersion) as { v: number; op_id: string; body: string }[]) : [];
  }

  async hasOp(id: ThreadID, opId: string): Promise<boolean> {
    const r = this.row(id);
    return !!r && this.s.hasOp.get(r.tid, opId) !== undefined;
  }

  private toMessages(rows: unknown[]): Message[] {
    return (rows as MsgRow[]).map((x) => messageOf(opFromRow(x.id as ThreadID, x.v, x.op_id, x.body))!);
  }

  async messagesBefore(id: ThreadID, beforeKey: string | undefined, limit: number, offset: number): Promise<Message[]> {
    const r = this.row(id);
    if (!r) return [];
    const rows = beforeKey === undefined ? this.s.newest.all(r.tid, limit, offset) : this.s.before.all(r.tid, beforeKey, limit, offset);
    return this.toMessages(rows);
  }

  async messagesAfter(id: ThreadID, afterKey: string | undefined, limit: number): Promise<Message[]> {
    const r = this.row(id);
    if (!r) return [];
    const rows = afterKey === undefined ? this.s.oldest.all(r.tid, limit) : this.s.after.all(r.tid, afterKey, limit);
    return this.toMessages(rows);
  }

  async locate(id: ThreadID, at: { messageId: string } | { index: number }): Promise<{ index: number; message: Message } | undefined> {
    const r = this.row(id);
    if (!r) return undefined;
    if ('index' in at) {
      const [m] = this.toMessages(this.s.atIndex.all(r.tid, at.index));
      return m && { index: at.index, message: m };
    }
    const m = this.visibleMessage(r.tid, id, at.messageId);
    if (!m) return undefined;
    const { n } = this.s.countBelow.get(r.tid, m.key) as { n: number };
    return { index: n, message: m };
  }

  async findMessage(id: ThreadID, messageId: string): Promise<Message | undefined> {
    const r = this.row(id);
    return r && this.visibleMessage(r.tid, id, messageId);
  }

  /** A visible message by id: its op (message ops have the message's id) and a visible row at its key. */
  private visibleMessage(tid: number, id: ThreadID, messageId: string): Message | undefined {
    const body = this.s.opById.get(tid, messageId) as { body: string } | undefined;
    if (!body) return undefined;
    const m = messageOf(opFromRow(id, 0, messageId, body.body));
    return m?.key && this.s.visibleKey.get(tid, m.key) ? m : undefined;
  }

  async listThreads(opts: { limit: number; snapshot: number; below?: number }): Promise<ListedHead[]> {
    const rows = this.s.list.all({ snap: opts.snapshot, below: opts.below ?? Number.MAX_SAFE_INTEGER, limit: opts.limit }) as {
      head: string;
      act: number;
    }[];
    return rows.map((x) => ({ head: JSON.parse(x.head) as ThreadHead, activity: x.act }));
  }

  async maxSeq(): Promise<number> {
    return (this.s.maxSeq.get() as { n: number }).n;
  }

  async usage(ids: ThreadID[], by: 'model' | 'day' | 'all'): Promise<UsageRow[]> {
    return usageOf(this.db, ids, by);
  }

  async inactiveThreads(opts: { updatedBefore: number; limit: number; after?: ThreadID }): Promise<ThreadID[]> {
    const rows = this.s.inactive.all(opts.updatedBefore, opts.after ?? '', opts.limit) as { id: ThreadID }[];
    return rows.map((r) => r.id);
  }

  async evict(id: ThreadID, v: number, now: number): Promise<void> {
    await this.indexSearch();
    this.db
      .transaction(() => {
        const r = this.row(id);
        if (!r) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
        checkVersion(id, r.v, v);
        checkNotEvicted(id, r.evicted);
        checkLease(id, this.s.lease.get(id) as LeaseState | undefined, undefined, now);
        // Indexed first (what came since the catch-up above), then marked: the index keeps an evicted thread's documents.
        this.searchCatchUp.now();
        this.s.setEvicted.run(now, r.tid);
        this.s.sumUsage.run(r.tid);
        this.s.deleteMsgs.run(r.tid);
        this.s.deleteCalls.run(r.tid);
        this.s.raiseSeqFloor.run();
        this.s.deleteOps.run(r.tid);
      })
      .immediate();
  }

  async reinstate(id: ThreadID, ops: Op[], rows: { message: Message; hidden: boolean }[]): Promise<void> {
    this.db
      .transaction(() => {
        const r = this.row(id);
        if (!r) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
        if (r.evicted === null || r.evicted === undefined)
          throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is not archived`, { details: { threadId: id } });
        checkWholeLog(id, r.v, ops);
        const seqOf = new Map<string, number>();
        let lastSeq = 0;
        for (const op of ops) {
          lastSeq = Number(this.s.insertOp.run(r.tid, op.v, op.opId, opBody(op)).lastInsertRowid);
          seqOf.set(op.opId, lastSeq);
        }
        for (const { message, hidden } of rows) {
          this.s.insertMsg.run(r.tid, message.key, seqOf.get(message.id), hidden ? 1 : 0, ...usageColumns(message));
          this.insertCalls(r.tid, message);
        }
        this.s.dropUsage.run(r.tid);
        this.s.unevict.run(lastSeq, r.tid);
      })
      .immediate();
  }

  async evicted(id: ThreadID): Promise<number | undefined> {
    return this.row(id)?.evicted ?? undefined;
  }

  async acquireLease(id: ThreadID, owner: string, ttlMs: number, now: number): Promise<number | undefined> {
    return this.db
      .transaction(() => {
        const cur = this.s.lease.get(id) as LeaseState | undefined;
        if (cur && cur.expires > now) return undefined;
        const token = (cur?.token ?? 0) + 1;
        this.s.putLease.run(id, owner, token, now + ttlMs);
        return token;
      })
      .immediate();
  }

  async renewLease(id: ThreadID, fence: Fence, ttlMs: number, now: number): Promise<boolean> {
    return this.s.renew.run(now + ttlMs, id, fence.owner, fence.token).changes === 1;
  }

  async releaseLease(id: ThreadID, fence: Fence): Promise<void> {
    this.s.release.run(id, fence.owner, fence.token);
  }

  async lease(id: ThreadID): Promise<LeaseState | undefined> {
    return this.s.lease.get(id) as LeaseState | undefined;
  }

  async inconsistentThreads(): Promise<ThreadID[]> {
    return (this.s.inconsistent.all() as { id: ThreadID }[]).map((r) => r.id);
  }

  async replaceView(head: ThreadHead, rows: { message: Message; hidden: boolean }[]): Promise<void> {
    this.db
      .transaction(() => {
        const r = this.row(head.id);
        if (!r) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${head.id} not found`);
        this.writeView(r.tid, head, rows);
      })
      .immediate();
  }

  async search(request: SearchRequest): Promise<SearchHit[]> {
    await this.indexSearch(); // in slices; then what was written meanwhile, and the read, in one synchronous run
    this.searchCatchUp.now();
    return sqliteSearch(this.db, request);
  }

  indexSearch(onProgress?: (p: SearchIndexProgress) => void): Promise<void> {
    return this.searchCatchUp.run(onProgress);
  }

  async reindex(): Promise<{ documents: number }> {
    return sqliteReindex(this.db);
  }

  async pendingMentions(afterSeq: number, limit: number): Promise<(PendingMention & { seq: number })[]> {
    return this.s.pendingMentions.all(afterSeq, limit) as (PendingMention & { seq: number })[];
  }

  async dropMentions(seqs: number[]): Promise<void> {
    this.s.dropMentions.run(JSON.stringify(seqs));
  }

  async close(): Promise<void> {
    await this.searchCatchUp.close();
    this.db.close();
  }
}
