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
];
