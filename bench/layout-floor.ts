/**
 * The layout floor of an append: the SQL statements a skein append's commit runs (on a database
 * made by the store's own backend, so the same schema, migrations, triggers and pragmas), fed the
 * rows skein itself wrote, with no skein JavaScript around them: no validation, no op
 * completion, no serialization, no memory tier. Its rate against the raw floor is the best
 * ratio the storage shape allows; skein's own ratio is measured beside it.
 */
import Database from 'better-sqlite3';
import { newThreadId } from '../src/index.js';
import { SqliteBackend } from '../src/store/sqlite/sqlite-backend.js';
import { SQLITE_STATEMENTS } from '../src/store/sqlite/statements.js';

/** One append's commit as skein wrote it: its op, message row, tool calls and the head after it. */
interface AppendRows {
  v: number;
  opId: string;
  body: string;
  key: string;
  usage: unknown[];
  calls: string[];
  head: string;
  title: string | null;
  msgs: number;
  updated: number;
}

/** See the module comment. */
export class LayoutFloor {
  private readonly backend: SqliteBackend;
  private readonly source: Database.Database;
  private readonly threadId = newThreadId();
  private readonly tid: number;
  private readonly commit: (r: AppendRows) => void;
  private lastSeq = 0;

  /** A fresh floor database in `file`; the rows come from the skein database `skeinFile`. */
  constructor(file: string, durability: 'full' | 'normal', skeinFile: string) {
    this.backend = new SqliteBackend(file, { durability });
    const db = this.backend.db;
    const s = (name: keyof typeof SQLITE_STATEMENTS) => db.prepare(SQLITE_STATEMENTS[name]);
    const [commitRow, lease, insertOp, insertMsg, insertCall, updateThread] = [
      s('commitRow'),
      s('lease'),
      s('insertOp'),
      s('insertMsg'),
      s('insertCall'),
      s('updateThread'),
    ];
    this.tid = Number(s('insertThread').run(this.threadId, 0, 0, '{}').lastInsertRowid);
    const { tid, threadId } = this;
    // The statements of SqliteBackend.commitOne for a batch of one message op, in its order.
    const tx = db.transaction((r: AppendRows) => {
      commitRow.get(threadId);
      lease.get(threadId);
      const seq = Number(insertOp.run(tid, r.v, r.opId, r.body).lastInsertRowid);
      insertMsg.run(tid, r.key, seq, 0, ...r.usage);
      for (const c of r.calls) insertCall.run(tid, c, r.key);
      updateThread.run(r.v, seq, r.updated, r.head, r.title, r.msgs, tid);
    });
    this.commit = (r) => tx.immediate(r);
    this.source = new Database(skeinFile, { readonly: true });
  }

  /** The rows of the appends skein committed since the last call (the head as it is now for each). */
  newRows(): AppendRows[] {
    const rows = this.source
      .prepare(
        `SELECT o.seq, o.v, o.op_id, o.body, o.tid, m.key, m.model, m.day, m.in_tok, m.out_tok, m.cr_tok, m.cw_tok, m.cost, t.head, t.title, t.msgs, t.updated
         FROM ops o JOIN messages m ON m.seq = o.seq JOIN threads t ON t.tid = o.tid WHERE o.seq > ? ORDER BY o.seq`,
      )
      .all(this.lastSeq) as Record<string, unknown>[];
    const calls = this.source.prepare('SELECT call_id FROM tool_calls WHERE tid = ? AND key = ?').pluck();
    return rows.map((x) => {
      this.lastSeq = x.seq as number;
      return {
        v: x.v as number,
        opId: x.op_id as string,
        body: x.body as string,
        key: x.key as string,
        usage: [x.model, x.day, x.in_tok, x.out_tok, x.cr_tok, x.cw_tok, x.cost],
        calls: calls.all(x.tid, x.key) as string[],
        head: x.head as string,
        title: x.title as string | null,
        msgs: x.msgs as number,
        updated: x.updated as number,
      };
    });
  }

  /** Commits each append's rows, one transaction per append, as skein's commit does. */
  replay(rows: readonly AppendRows[]): void {
    for (const r of rows) this.commit(r);
  }

  async close(): Promise<void> {
    this.source.close();
    await this.backend.close();
  }
}
