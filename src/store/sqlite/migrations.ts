import { LAZY_SEARCH_MIGRATION, SEARCH_MARK_MIGRATION, SEARCH_MIGRATION, TITLE_COLUMN_TRIGGER } from './search-sql.js';

/** The local store's schema, as an ordered array: the index is the version (PRAGMA user_version). */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE threads (
    tid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    v INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    head TEXT NOT NULL
  );
  CREATE INDEX threads_last_seq ON threads(last_seq);
  CREATE TABLE ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tid INTEGER NOT NULL,
    v INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE UNIQUE INDEX ops_tid_v ON ops(tid, v);
  CREATE UNIQUE INDEX ops_tid_op ON ops(tid, op_id);
  CREATE TABLE messages (
    tid INTEGER NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    day TEXT,
    in_tok INTEGER,
    out_tok INTEGER,
    cr_tok INTEGER,
    cw_tok INTEGER,
    cost REAL,
    PRIMARY KEY (tid, key)
  ) WITHOUT ROWID;
  CREATE TABLE leases (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    token INTEGER NOT NULL,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 1: file change tracking (content-addressed blobs, change records) and archived threads
  // (an evicted thread keeps its threads row; its usage stays as per model and day sums).
  `
  CREATE TABLE file_blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE file_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id TEXT NOT NULL,
    op_id TEXT NOT NULL,
    path TEXT NOT NULL,
    root TEXT NOT NULL,
    type TEXT NOT NULL,
    before TEXT,
    after TEXT,
    at INTEGER NOT NULL,
    thread_v INTEGER NOT NULL,
    reverted INTEGER
  );
  CREATE INDEX file_changes_thread ON file_changes(thread_id, op_id);
  ALTER TABLE threads ADD COLUMN evicted INTEGER;
  CREATE INDEX threads_updated ON threads(updated);
  CREATE TABLE archived_usage (
    tid INTEGER NOT NULL,
    model TEXT NOT NULL,
    day TEXT NOT NULL,
    in_tok INTEGER NOT NULL,
    out_tok INTEGER NOT NULL,
    cr_tok INTEGER NOT NULL,
    cw_tok INTEGER NOT NULL,
    cost REAL NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (tid, model, day)
  ) WITHOUT ROWID;
  `,
  // 2: tool calls -> key of the message that made them (the newest by key), so that a result finds
  // a call the thread's head no longer remembers; filled from the stored messages.
  `
  CREATE TABLE tool_calls (
    tid INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (tid, call_id)
  ) WITHOUT ROWID;
  INSERT INTO tool_calls (tid, call_id, key)
    SELECT m.tid, json_extract(c.value, '$.id'), max(m.key)
    FROM messages m JOIN ops o ON o.seq = m.seq, json_each(o.body, '$.message.toolCalls') c
    WHERE json_type(c.value, '$.id') = 'text'
    GROUP BY 1, 2;
  `,
  // 3: full-text search (FTS5), kept by triggers on the view tables; existing rows are indexed.
  SEARCH_MIGRATION,
  // 4: a message is indexed for search in a batch before the next search, not in its own commit.
  LAZY_SEARCH_MIGRATION,
  // 5 (re-runnable): every hidden range of a thread beside its head (in log order), so that the head row keeps
  // only the newest few (model/hidden.ts); filled from the heads, which stay whole until rewritten.
  `
  CREATE TABLE IF NOT EXISTS hidden_ranges (
    seq INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    from_key TEXT NOT NULL,
    to_key TEXT NOT NULL,
    from_msg TEXT NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS hidden_ranges_op ON hidden_ranges(tid, op_id);
  CREATE INDEX IF NOT EXISTS hidden_ranges_to ON hidden_ranges(tid, to_key);
  INSERT OR IGNORE INTO hidden_ranges (tid, op_id, from_key, to_key, from_msg)
    SELECT t.tid, json_extract(h.value, '$.opId'), json_extract(h.value, '$.fromKey'), json_extract(h.value, '$.toKey'),
      json_extract(h.value, '$.fromMessageId')
    FROM threads t, json_each(t.head, '$.clock.hidden') h
    ORDER BY t.tid, h.key;
  `,
  // 6: fewer pages per append. `ops.seq` without AUTOINCREMENT (its `sqlite_sequence` row was one
  // more page in every commit): a seq is never given twice because deletions first raise
  // `store_meta.seq_floor` to the highest seq, and an insert takes max(highest, floor) + 1. The
  // `threads(updated)` index goes (only the archive sweep read it). Search no longer queues a row
  // per append (SEARCH_MARK_MIGRATION). Written so that it can run again on its own result.
  `
  CREATE TABLE IF NOT EXISTS store_meta (
    name TEXT PRIMARY KEY,
    n INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT OR REPLACE INTO store_meta (name, n) VALUES ('seq_floor', max(
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ops'), 0),
    coalesce((SELECT max(seq) FROM ops), 0),
    coalesce((SELECT n FROM store_meta WHERE name = 'seq_floor'), 0)));
  CREATE TABLE ops_next (
    seq INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    v INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    body TEXT NOT NULL
  );
  INSERT INTO ops_next (seq, tid, v, op_id, body) SELECT seq, tid, v, op_id, body FROM ops ORDER BY seq;
  DROP TABLE ops;
  ALTER TABLE ops_next RENAME TO ops;
  CREATE UNIQUE INDEX ops_tid_v ON ops(tid, v);
  CREATE UNIQUE INDEX ops_tid_op ON ops(tid, op_id);
  DELETE FROM sqlite_sequence WHERE name = 'ops';
  DROP INDEX IF EXISTS threads_updated;
  ${SEARCH_MARK_MIGRATION}
  `,
  // 7 (re-runnable): mention links a message could not write in its own transaction, queued in that
  // transaction and written later (store/mentions.ts); one row per link.
  `
  CREATE TABLE IF NOT EXISTS pending_mentions (
    seq INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS pending_mentions_link ON pending_mentions(target, thread_id, message_id);
  `,
  // 8 (re-runnable): every link of a thread (sub-agents, summaries, handoffs, forks, mentions) beside its
  // head, each once, in the order added, so that the head row keeps only the first few of each list
  // (model/bounded-links.ts); filled from the heads, which stay whole until rewritten.
  `
  CREATE TABLE IF NOT EXISTS thread_links (
    seq INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    rel TEXT NOT NULL,
    other TEXT NOT NULL,
    msg TEXT NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS thread_links_link ON thread_links(tid, rel, other, msg);
  INSERT OR IGNORE INTO thread_links (tid, rel, other, msg)
    SELECT tid, rel, other, msg FROM (
      SELECT t.tid, 0 AS n, c.key AS k, 'child' AS rel, c.value AS other, '' AS msg FROM threads t, json_each(t.head, '$.childThreadIDs') c
      UNION ALL
      SELECT t.tid, 1, c.key, 'summary', c.value, '' FROM threads t, json_each(t.head, '$.summaryThreadIDs') c
      UNION ALL
      SELECT t.tid, 2, l.key, json_extract(l.value, '$.rel'), json_extract(l.value, '$.threadId'), coalesce(json_extract(l.value, '$.messageId'), '')
        FROM threads t, json_each(t.head, '$.links') l
    ) ORDER BY tid, n, k;
  `,
  // 9 (re-runnable): every meta key a thread has stamped (its value as JSON, 'null' once deleted, and
  // its last writer) beside its head, in the order first set, so that the head row keeps only the
  // first few (model/bounded-meta.ts); filled from the heads, which stay whole until rewritten.
  `
  CREATE TABLE IF NOT EXISTS thread_meta (
    seq INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    stamp TEXT NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS thread_meta_key ON thread_meta(tid, key);
  INSERT OR IGNORE INTO thread_meta (tid, key, value, stamp)
    SELECT t.tid, substr(s.key, 6), coalesce((SELECT t.head -> m.fullkey FROM json_each(t.head, '$.meta') m WHERE m.key = substr(s.key, 6)), 'null'),
      s.value
    FROM threads t, json_each(t.head, '$.clock.stamps') s
    WHERE substr(s.key, 1, 5) = 'meta.'
    ORDER BY t.tid, s.id;
  `,
  // 10: the title and the visible message count as columns beside the head JSON, written by every
  // commit with it, so that an append parses no head JSON in SQL (the commit read `messageCount`
  // from it, and the search title trigger compared the old and new heads' titles on every append);
  // the title trigger now fires on a change of the column. Filled from the heads.
  `
  ALTER TABLE threads ADD COLUMN title TEXT;
  ALTER TABLE threads ADD COLUMN msgs INTEGER NOT NULL DEFAULT 0;
  UPDATE threads SET title = json_extract(head, '$.title'), msgs = coalesce(json_extract(head, '$.messageCount'), 0);
  ${TITLE_COLUMN_TRIGGER}
  `,
];
