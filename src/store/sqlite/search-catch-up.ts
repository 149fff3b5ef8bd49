/**
 * Search catch-up on SQLite: indexes the message rows appends left unindexed (those of ops above
 * `store_meta.search_mark`, and rows queued in `search_pending`) in slices of at most
 * `SEARCH_SLICE` ops or queued rows, each slice in its own transaction that moves the mark with
 * what it indexed, so a crash between slices loses nothing and the next catch-up goes on from
 * there. `SearchCatchUp.run` yields to the event loop between slices; `catchUpNow` runs them back
 * to back (in a caller's transaction, or each in its own).
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import type { SearchIndexProgress } from '../backend.js';
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { addMessageDocs } from './search-sql.js';

/**
 * Ops (or queued rows) per slice. At 1,000 messages a slice blocks the event loop for 30-70 ms
 * and costs little over one transaction for everything (see docs/architecture.md, "Search and MCP").
 */
export const SEARCH_SLICE = 1000;

/** The queued rows a slice indexes: the first ones by key (the same set for each statement of the slice). */
const SLICE_QUEUE = `(SELECT tid, key FROM search_pending ORDER BY tid, key LIMIT ${SEARCH_SLICE})`;

/** The newest op seq whose messages are indexed, as a subquery. */
const MARK = "(SELECT n FROM store_meta WHERE name = 'search_mark')";

const STATEMENTS = {
  mark: "SELECT n FROM store_meta WHERE name = 'search_mark'",
  // Read outside a transaction first, so that a search with nothing to index takes no write lock.
  pending: `SELECT EXISTS (SELECT 1 FROM search_pending) OR EXISTS (SELECT 1 FROM ops WHERE seq > ${MARK})`,
  queued: 'SELECT 1 FROM search_pending LIMIT 1',
  nextOps: `SELECT seq FROM ops WHERE seq > ? ORDER BY seq LIMIT ${SEARCH_SLICE}`,
  // The visible rows of ops in (mark, last]: found through their op, whose body holds the key.
  queueOps: `INSERT OR IGNORE INTO search_pending (tid, key)
    SELECT m.tid, m.key FROM ops o JOIN messages m ON m.tid = o.tid AND m.key = json_extract(o.body, '$.message.key')
    WHERE o.seq > ? AND o.seq <= ? AND m.seq = o.seq AND m.hidden = 0`,
  setMark: "UPDATE store_meta SET n = max(n, ?) WHERE name = 'search_mark'",
  dequeue: `DELETE FROM search_pending WHERE (tid, key) IN ${SLICE_QUEUE}`,
  remaining: `SELECT (SELECT count(*) FROM ops WHERE seq > ${MARK}) + (SELECT count(*) FROM search_pending)`,
};

/** Each queued row of the slice replaces the document its key had; rows since hidden or deleted are skipped. */
const INDEX_QUEUED_SQL = `
  DELETE FROM search_fts WHERE rowid IN (SELECT d.id FROM ${SLICE_QUEUE} p JOIN search_docs d ON d.tid = p.tid AND d.key = p.key);
  DELETE FROM search_docs WHERE (tid, key) IN ${SLICE_QUEUE};
  ${addMessageDocs(`${SLICE_QUEUE} p JOIN messages m ON m.tid = p.tid AND m.key = p.key`, '1')}`;

/** The catch-up of one database: its statements, and the run in progress that callers share. */
export class SearchCatchUp {
  private readonly s: Record<keyof typeof STATEMENTS, SqliteStatement>;
  private readonly slice: { immediate(): number };
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly db: SqliteDatabase) {
    this.s = Object.fromEntries(Object.entries(STATEMENTS).map(([k, sql]) => [k, sql.startsWith('SELECT') ? db.prepare(sql).pluck() : db.prepare(sql)])) as typeof this.s;
    this.slice = db.transaction(() => this.indexSlice());
  }

  /**
   * One slice: when nothing is queued, the rows of the next ops above the mark are queued and the
   * mark moves past those ops; then up to a slice of the queue is indexed and dequeued. Answers
   * how much it took (ops, or queued rows), 0 when there was nothing left.
   */
  private indexSlice(): number {
    let ops = 0;
    if (!this.s.queued.get()) {
      const mark = this.s.mark.get();
      const seqs = this.s.nextOps.all(mark) as number[];
      if (seqs.length === 0) return 0;
      const last = seqs[seqs.length - 1]!;
      this.s.queueOps.run(mark, last);
      this.s.setMark.run(last);
      ops = seqs.length;
    }
    this.db.exec(INDEX_QUEUED_SQL);
    const rows = this.s.dequeue.run().changes;
    return ops || rows;
  }

  /** Indexes everything pending, slice after slice without yielding (inside a caller's transaction, or each slice in its own). */
  now(): void {
    if (this.closed) throw new SkeinError(ErrorCode.CLOSED, 'the store is closed');
    while (this.s.pending.get() && this.slice.immediate() > 0);
  }

  /**
   * Indexes everything pending, yielding to the event loop between slices. Calls made while a run
   * is going on share it (`onProgress` is then heard by the first caller only). `onProgress` is
   * called only when there is something to index: first with `done` 0, then after each slice.
   */
  run(onProgress?: (p: SearchIndexProgress) => void): Promise<void> {
    return (this.running ??= this.slices(onProgress).finally(() => (this.running = undefined)));
  }

  /** Stops a run at its next slice (a search waiting for it is refused: CLOSED); the database can then be closed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }

  private async slices(onProgress?: (p: SearchIndexProgress) => void): Promise<void> {
    let total = onProgress ? (this.s.remaining.get() as number) : 0;
    let done = 0;
    if (total > 0) onProgress?.({ done, total });
    while (!this.closed && this.s.pending.get()) {
      const n = this.slice.immediate();
      if (n === 0) return;
      done += n;
      total = Math.max(total, done);
      onProgress?.({ done, total });
      await new Promise(setImmediate);
    }
  }
}
