/**
 * Full-text search on SQLite (FTS5). `search_docs` has one row per indexed document (a visible
 * message, keyed by its thread and order key; or a thread's title, key ''), and `search_fts` its
 * text, with the document's id as rowid. Triggers on the view tables keep both, so the commit
 * code does not know about search: a message row inserted is unindexed until the next search,
 * reindex or eviction indexes it in a batch (see LAZY_SEARCH_MIGRATION, SEARCH_MARK_MIGRATION,
 * search-catch-up.ts), hidden or deleted removes its
 * document, a title change replaces the title's. An evicted
 * (archived) thread's message rows go without taking their documents along, so it is still found.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { MAX_INDEXED_CHARS, type SearchQuery, type SearchTerm } from '../../model/search.js';
import type { ThreadID } from '../../model/types.js';
import type { SearchHit, SearchRequest } from '../backend.js';
import type { SqliteDatabase } from './driver.js';

/**
 * The op body `o.body` with each NUL escape made a space escape, so that no NUL reaches FTS5 (it
 * stops reading a text at one). Escape for escape, so the JSON stays valid whatever precedes it.
 */
const BODY = String.raw`replace(o.body, '\u0000', '\u0020')`;

/** The indexed text of the message op `o` (the same as `searchText` in model/search.ts). */
const MESSAGE_TEXT = `substr(coalesce(json_extract(o.body, '$.message.content'), '')
  || coalesce((SELECT ' ' || group_concat(json_extract(c.value, '$.name'), ' ') FROM json_each(o.body, '$.message.toolCalls') c), '')
  || coalesce((SELECT ' ' || group_concat(x.value, ' ') FROM json_each(o.body, '$.message.toolCalls') c, json_tree(c.value, '$.input') x WHERE x.type = 'text'), '')
  || coalesce((SELECT ' ' || group_concat(x.value, ' ') FROM json_each(o.body, '$.message.toolResults') r, json_tree(r.value, '$.output') x WHERE x.type = 'text'), ''),
  1, ${MAX_INDEXED_CHARS})`.replaceAll('o.body', BODY);

/** Drops the document of (tid, key) given as SQL expressions. */
const dropDoc = (tid: string, key: string) => `
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE tid = ${tid} AND key = ${key});
    DELETE FROM search_docs WHERE tid = ${tid} AND key = ${key};`;

/** Adds message documents for the visible message rows `m` matched by `where` (inside a trigger or a rebuild). */
export const addMessageDocs = (from: string, where: string) => `
    INSERT INTO search_docs (tid, key, msg_id, at, model)
      SELECT m.tid, m.key, o.op_id, coalesce(json_extract(o.body, '$.message.timestamp'), 0), m.model
      FROM ${from} JOIN ops o ON o.seq = m.seq WHERE m.hidden = 0 AND ${where};
    INSERT INTO search_fts (rowid, body)
      SELECT d.id, ${MESSAGE_TEXT} FROM ${from} JOIN ops o ON o.seq = m.seq JOIN search_docs d ON d.tid = m.tid AND d.key = m.key
      WHERE m.hidden = 0 AND ${where};`;

/** Adds title documents for the threads `t` matched by `where`. */
const addTitleDocs = (from: string, where: string) => `
    INSERT INTO search_docs (tid, key, msg_id, at, model)
      SELECT t.tid, '', NULL, t.updated, NULL FROM ${from} WHERE json_extract(t.head, '$.title') IS NOT NULL AND ${where};
    INSERT INTO search_fts (rowid, body)
      SELECT d.id, json_extract(t.head, '$.title') FROM ${from} JOIN search_docs d ON d.tid = t.tid AND d.key = ''
      WHERE json_extract(t.head, '$.title') IS NOT NULL AND ${where};`;

/**
 * Migration 3: a message row no longer indexes itself in its commit (the FTS5 segment flushed at
 * every commit was the largest single cost of an append); it is queued in `search_pending` (one
 * small row) and indexed in a batch (search-catch-up.ts) before anything reads or moves documents.
 */
export const LAZY_SEARCH_MIGRATION = `
  DROP TRIGGER search_message_added;
  CREATE TABLE search_pending (
    tid INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (tid, key)
  ) WITHOUT ROWID;
  CREATE TRIGGER search_message_queued AFTER INSERT ON messages WHEN NEW.hidden = 0 BEGIN
    INSERT OR IGNORE INTO search_pending (tid, key) VALUES (NEW.tid, NEW.key);
  END;`;

/**
 * Migration 6: an append writes nothing for search. Message rows of ops above the mark
 * (`store_meta.search_mark`, a `seq`) are unindexed by definition; only a row inserted for an
 * op at or below the mark (a view rewrite, a restore) is queued in `search_pending`.
 */
export const SEARCH_MARK_MIGRATION = `
  INSERT OR REPLACE INTO store_meta (name, n) VALUES ('search_mark', coalesce((SELECT max(seq) FROM ops), 0));
  DROP TRIGGER search_message_queued;
  CREATE TRIGGER search_message_queued AFTER INSERT ON messages
    WHEN NEW.hidden = 0 AND NEW.seq <= (SELECT n FROM store_meta WHERE name = 'search_mark') BEGIN
    INSERT OR IGNORE INTO search_pending (tid, key) VALUES (NEW.tid, NEW.key);
  END;`;

/** Rebuilds every document of threads whose ops are held (evicted threads keep theirs) and every title. */
export const REBUILD_SEARCH_SQL = `
  DELETE FROM search_pending;
  UPDATE store_meta SET n = max(n, coalesce((SELECT max(seq) FROM ops), 0)) WHERE name = 'search_mark';
  DELETE FROM search_fts WHERE rowid IN (SELECT d.id FROM search_docs d JOIN threads t ON t.tid = d.tid WHERE t.evicted IS NULL OR d.key = '');
  DELETE FROM search_docs WHERE key = '' OR tid IN (SELECT tid FROM threads WHERE evicted IS NULL);
  ${addMessageDocs('messages m', '1')}
  ${addTitleDocs('threads t', '1')}
  INSERT INTO search_fts (search_fts) VALUES ('optimize');`;

/** The migration that adds search: tables, triggers, and documents for what is already stored. */
export const SEARCH_MIGRATION = `
  CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    key TEXT NOT NULL,
    msg_id TEXT,
    at INTEGER NOT NULL,
    model TEXT
  );
  CREATE UNIQUE INDEX search_docs_tid_key ON search_docs(tid, key);
  CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');
  CREATE TRIGGER search_message_added AFTER INSERT ON messages BEGIN
    ${dropDoc('NEW.tid', 'NEW.key')}
    ${addMessageDocs('(SELECT NEW.tid AS tid, NEW.key AS key, NEW.seq AS seq, NEW.hidden AS hidden, NEW.model AS model) m', '1')}
  END;
  CREATE TRIGGER search_message_hidden AFTER UPDATE OF hidden ON messages WHEN NEW.hidden <> 0 AND OLD.hidden = 0 BEGIN
    ${dropDoc('NEW.tid', 'NEW.key')}
  END;
  CREATE TRIGGER search_message_deleted AFTER DELETE ON messages
    WHEN (SELECT evicted FROM threads WHERE tid = OLD.tid) IS NULL BEGIN
    ${dropDoc('OLD.tid', 'OLD.key')}
  END;
  CREATE TRIGGER search_title_changed AFTER UPDATE OF head ON threads
    WHEN json_extract(NEW.head, '$.title') IS NOT json_extract(OLD.head, '$.title') BEGIN
    ${dropDoc('NEW.tid', "''")}
    ${addTitleDocs('(SELECT NEW.tid AS tid, NEW.updated AS updated, NEW.head AS head) t', '1')}
  END;
  ${addMessageDocs('messages m', '1')}
  ${addTitleDocs('threads t', '1')}`;

/**
 * Migration 10: the title trigger watches the `threads.title` column (which the commit writes
 * beside the head JSON) instead of parsing the old and the new head JSON on every head write.
 */
export const TITLE_COLUMN_TRIGGER = `
  DROP TRIGGER IF EXISTS search_title_changed;
  CREATE TRIGGER search_title_changed AFTER UPDATE OF title ON threads WHEN NEW.title IS NOT OLD.title BEGIN
    ${dropDoc('NEW.tid', "''")}
    ${addTitleDocs('(SELECT NEW.tid AS tid, NEW.updated AS updated, NEW.head AS head) t', '1')}
  END;`;

/** One term as an FTS5 string (tokens are letters and digits only, so they need no escaping). */
function ftsTerm(t: SearchTerm): string {
  const s = `"${t.tokens.join(' ').replace(/"/g, '""')}"`;
  return t.prefix ? `${s} *` : s;
}

/** The FTS5 MATCH expression of a parsed query. */
export function toFts5(q: SearchQuery): string {
  const groups = q.all.map((g) => (g.length === 1 ? ftsTerm(g[0]!) : `(${g.map(ftsTerm).join(' OR ')})`));
  const not = q.none.length > 0 ? ` NOT (${q.none.map(ftsTerm).join(' OR ')})` : '';
  return groups.join(' AND ') + not;
}

const KIND_SQL = {
  main: "json_extract(t.head, '$.mainThreadID') IS NULL AND json_extract(t.head, '$.originThreadID') IS NULL",
  subagent: "json_extract(t.head, '$.mainThreadID') IS NOT NULL",
  summary: "json_extract(t.head, '$.mainThreadID') IS NULL AND json_extract(t.head, '$.originThreadID') IS NOT NULL",
} as const;

type HitRow = { thread: ThreadID; msg_id: string | null; title: string | null; body: string; score: number; at: number; archived: number };

/** Runs a search (on an index the caller caught up, see search-catch-up.ts): ranks by bm25 then recency, then reads text and titles for the page only. */
export function sqliteSearch(db: SqliteDatabase, r: SearchRequest): SearchHit[] {
  const where: string[] = ['search_fts MATCH @match'];
  const params: Record<string, unknown> = { match: toFts5(r.query), limit: r.limit, offset: r.offset };
  if (r.kind) where.push(KIND_SQL[r.kind]);
  if (r.cwd !== undefined) {
    where.push("(json_extract(t.head, '$.env.cwd') = @cwd OR substr(json_extract(t.head, '$.env.cwd'), 1, length(@cwdDir)) = @cwdDir)");
    params.cwd = r.cwd;
    params.cwdDir = r.cwd.endsWith('/') ? r.cwd : `${r.cwd}/`;
  }
  if (r.model !== undefined) {
    where.push('d.model = @model');
    params.model = r.model;
  }
  if (r.since !== undefined) {
    where.push('d.at >= @since');
    params.since = r.since;
  }
  const joinThreads = r.kind !== undefined || r.cwd !== undefined ? 'JOIN threads t ON t.tid = d.tid' : '';
  // The ranking is computed over every match; the text is read for the page only.
  const sql = `WITH top AS MATERIALIZED (
      SELECT d.id, d.tid, d.msg_id, d.at, -bm25(search_fts) AS score FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid ${joinThreads}
      WHERE ${where.join(' AND ')} ORDER BY score DESC, d.at DESC, d.id DESC LIMIT @limit OFFSET @offset)
    SELECT t.id AS thread, top.msg_id, json_extract(t.head, '$.title') AS title, f.body, top.score, top.at,
      (t.evicted IS NOT NULL OR json_extract(t.head, '$.archived') IS NOT NULL) AS archived
    FROM top JOIN threads t ON t.tid = top.tid JOIN search_fts f ON f.rowid = top.id
    ORDER BY top.score DESC, top.at DESC, top.id DESC`;
  let rows: HitRow[];
  try {
    rows = db.prepare(sql).all(params) as HitRow[];
  } catch (err) {
    // The expression is built from tokens, so FTS5 should never refuse it; if it does, it is the query's fault.
    if (/fts5/i.test(String(err))) throw new SkeinError(ErrorCode.VALIDATION, `query: not understood (${String(err)})`, { cause: err });
    throw err;
  }
  return rows.map((x) => ({
    threadId: x.thread,
    messageId: x.msg_id,
    title: x.title,
    text: x.body,
    score: x.score,
    at: x.at,
    archived: x.archived === 1,
  }));
}

/** Rebuilds the index in one transaction; answers how many documents it now holds. */
export function sqliteReindex(db: SqliteDatabase): { documents: number } {
  return db
    .transaction(() => {
      db.exec(REBUILD_SEARCH_SQL);
      return { documents: (db.prepare('SELECT count(*) AS n FROM search_docs').get() as { n: number }).n };
    })
    .immediate();
}
