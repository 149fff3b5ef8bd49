import { SEARCH_MIGRATION } from './search-sql.js';

/**
 * The server store's schema, as an ordered array: the index is the version (rows of
 * `skein_schema_version`). Tables are named unqualified; `migrate` runs them inside the chosen
 * schema. Every table leads with `ws` (the workspace) and so does every key and index, so a
 * distributed Postgres can shard all of them by workspace. Text that is compared or sorted
 * (workspaces, thread ids, order keys, model names, days) is `COLLATE "C"`: byte-wise, as in SQLite
 * and the memory backend, whatever the database's default collation.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE threads (
    ws TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    v INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    head TEXT NOT NULL,
    evicted BIGINT,
    PRIMARY KEY (ws, id)
  );
  CREATE INDEX threads_ws_last_seq ON threads (ws, last_seq);
  CREATE INDEX threads_ws_updated ON threads (ws, updated);
  CREATE TABLE ops (
    ws TEXT COLLATE "C" NOT NULL,
    seq BIGSERIAL NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    v INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (ws, seq)
  );
  CREATE UNIQUE INDEX ops_ws_thread_v ON ops (ws, thread, v) INCLUDE (seq);
  CREATE UNIQUE INDEX ops_ws_thread_op ON ops (ws, thread, op_id);
  CREATE TABLE messages (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT false,
    model TEXT COLLATE "C",
    day TEXT COLLATE "C",
    in_tok BIGINT,
    out_tok BIGINT,
    cr_tok BIGINT,
    cw_tok BIGINT,
    cost DOUBLE PRECISION,
    PRIMARY KEY (ws, thread, key)
  );
  CREATE TABLE leases (
    ws TEXT COLLATE "C" NOT NULL,
    thread_id TEXT COLLATE "C" NOT NULL,
    owner TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (ws, thread_id)
  );
  CREATE TABLE archived_usage (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    model TEXT COLLATE "C" NOT NULL,
    day TEXT COLLATE "C" NOT NULL,
    in_tok BIGINT NOT NULL,
    out_tok BIGINT NOT NULL,
    cr_tok BIGINT NOT NULL,
    cw_tok BIGINT NOT NULL,
    cost DOUBLE PRECISION NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (ws, thread, model, day)
  );
  `,
  // 1: full-text search (tsvector + GIN), kept by triggers on the view tables; existing rows are indexed.
  SEARCH_MIGRATION,
  // 2: every hidden range of a thread beside its head (in log order), so that the head row keeps
  // only the newest few (model/hidden.ts); filled from the heads, which stay whole until rewritten.
  `
  CREATE TABLE hidden_ranges (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    op_id TEXT COLLATE "C" NOT NULL,
    seq BIGSERIAL NOT NULL,
    from_key TEXT COLLATE "C" NOT NULL,
    to_key TEXT COLLATE "C" NOT NULL,
    from_msg TEXT NOT NULL,
    PRIMARY KEY (ws, thread, op_id)
  );
  CREATE INDEX hidden_ranges_to ON hidden_ranges (ws, thread, to_key);
  INSERT INTO hidden_ranges (ws, thread, op_id, from_key, to_key, from_msg)
    SELECT t.ws, t.id, h.r->>'opId', h.r->>'fromKey', h.r->>'toKey', h.r->>'fromMessageId'
    FROM threads t, jsonb_array_elements(t.head::jsonb->'clock'->'hidden') WITH ORDINALITY AS h(r, n)
    ORDER BY t.ws, t.id, h.n
    ON CONFLICT DO NOTHING;
  `,
  // 3 (re-runnable): mention links a message could not write in its own transaction, queued in that
  // transaction and written later (store/mentions.ts); one row per link.
  `
  CREATE TABLE IF NOT EXISTS pending_mentions (
    ws TEXT COLLATE "C" NOT NULL,
    seq BIGSERIAL NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (ws, seq)
  );
  CREATE UNIQUE INDEX IF NOT EXISTS pending_mentions_link ON pending_mentions (ws, target, thread, message_id);
  `,
  // 4 (re-runnable): every link of a thread (sub-agents, summaries, handoffs, forks, mentions) beside its
  // head, each once, in the order added, so that the head row keeps only the first few of each list
  // (model/bounded-links.ts); filled from the heads, which stay whole until rewritten.
  `
  CREATE TABLE IF NOT EXISTS thread_links (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    rel TEXT COLLATE "C" NOT NULL,
    other TEXT COLLATE "C" NOT NULL,
    msg TEXT COLLATE "C" NOT NULL,
    seq BIGSERIAL NOT NULL,
    PRIMARY KEY (ws, thread, rel, other, msg)
  );
  INSERT INTO thread_links (ws, thread, rel, other, msg)
    SELECT ws, id, rel, other, msg FROM (
      SELECT t.ws, t.id, 0 AS k, c.n, 'child' AS rel, c.x AS other, '' AS msg
        FROM threads t, jsonb_array_elements_text(t.head::jsonb->'childThreadIDs') WITH ORDINALITY AS c(x, n)
      UNION ALL
      SELECT t.ws, t.id, 1, c.n, 'summary', c.x, ''
        FROM threads t, jsonb_array_elements_text(t.head::jsonb->'summaryThreadIDs') WITH ORDINALITY AS c(x, n)
      UNION ALL
      SELECT t.ws, t.id, 2, l.n, l.x->>'rel', l.x->>'threadId', coalesce(l.x->>'messageId', '')
        FROM threads t, jsonb_array_elements(coalesce(t.head::jsonb->'links', '[]'::jsonb)) WITH ORDINALITY AS l(x, n)
    ) u ORDER BY ws, id, k, n
    ON CONFLICT DO NOTHING;
  `,
  // 5 (re-runnable): every meta key a thread has stamped (its value as JSON, 'null' once deleted, and
  // its last writer) beside its head, in the order first set, so that the head row keeps only the
  // first few (model/bounded-meta.ts); filled from the heads (as text: values keep their spelling).
  `
  CREATE TABLE IF NOT EXISTS thread_meta (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    stamp TEXT NOT NULL,
    seq BIGSERIAL NOT NULL,
    PRIMARY KEY (ws, thread, key)
  );
  INSERT INTO thread_meta (ws, thread, key, value, stamp)
    SELECT t.ws, t.id, substr(s.k, 6), coalesce((t.head::json -> 'meta' -> substr(s.k, 6))::text, 'null'), s.v::text
    FROM threads t, json_each(t.head::json -> 'clock' -> 'stamps') WITH ORDINALITY AS s(k, v, n)
    WHERE left(s.k, 5) = 'meta.'
    ORDER BY t.ws, t.id, s.n
    ON CONFLICT DO NOTHING;
  `,
];
