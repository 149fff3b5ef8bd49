/**
 * Full-text search on PostgreSQL: `search_docs` holds one row per document (a visible message,
 * keyed by workspace, thread and order key; or a thread's title, key ''), its text and a
 * `tsvector` under a GIN index. Triggers on the view tables keep it in the transaction of every
 * write (the commit code does not know about search); an evicted (archived) thread's rows go
 * without taking their documents along. Text is split into letters-and-digits tokens before
 * `to_tsvector('simple', ...)`, like the FTS5 `unicode61` tokenizer: `src/login.ts` is
 * `src login ts`, so paths are found by their parts, the same on both backends.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { MAX_INDEXED_CHARS, type SearchQuery, type SearchTerm } from '../../model/search.js';
import type { ThreadID } from '../../model/types.js';
import type { SearchHit, SearchRequest } from '../backend.js';
import type { PgQueryable } from './driver.js';

/** Tables and functions the migration adds (unqualified: it runs inside the schema). */
export const SEARCH_MIGRATION = `
  CREATE TABLE search_docs (
    ws TEXT COLLATE "C" NOT NULL,
    thread TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    msg_id TEXT,
    at BIGINT NOT NULL,
    model TEXT COLLATE "C",
    body TEXT NOT NULL,
    tsv tsvector NOT NULL,
    PRIMARY KEY (ws, thread, key)
  );
  CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

  -- A NUL escape is valid JSON but not jsonb: it is indexed as U+FFFD.
  CREATE FUNCTION search_json(body text) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $f$ SELECT replace(body, '\\u0000', '\\ufffd')::jsonb $f$;

  CREATE FUNCTION search_tsvector(body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $f$ SELECT to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')) $f$;

  -- The same text as searchText() in model/search.ts.
  CREATE FUNCTION search_message_text(m jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT left(
      coalesce(CASE WHEN jsonb_typeof(m -> 'content') = 'string' THEN m ->> 'content' END, '')
      || coalesce((SELECT ' ' || string_agg(c ->> 'name', ' ' ORDER BY n)
           FROM jsonb_array_elements(m -> 'toolCalls') WITH ORDINALITY AS x(c, n)), '')
      || coalesce((SELECT ' ' || string_agg(v #>> '{}', ' ' ORDER BY n)
           FROM jsonb_array_elements(m -> 'toolCalls') WITH ORDINALITY AS x(c, n), jsonb_path_query(c -> 'input', 'strict $.**') v
           WHERE jsonb_typeof(v) = 'string'), '')
      || coalesce((SELECT ' ' || string_agg(v #>> '{}', ' ' ORDER BY n)
           FROM jsonb_array_elements(m -> 'toolResults') WITH ORDINALITY AS x(r, n), jsonb_path_query(r -> 'output', 'strict $.**') v
           WHERE jsonb_typeof(v) = 'string'), ''),
      ${MAX_INDEXED_CHARS})
  $f$;

  CREATE FUNCTION search_message_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
  DECLARE
    j jsonb;
    mid text;
    t text;
  BEGIN
    DELETE FROM search_docs WHERE ws = NEW.ws AND thread = NEW.thread AND key = NEW.key;
    IF NEW.hidden THEN RETURN NULL; END IF;
    SELECT search_json(body) -> 'message', op_id INTO j, mid FROM ops WHERE ws = NEW.ws AND seq = NEW.seq;
    IF NOT FOUND THEN RETURN NULL; END IF;
    t := search_message_text(j);
    INSERT INTO search_docs (ws, thread, key, msg_id, at, model, body, tsv)
      VALUES (NEW.ws, NEW.thread, NEW.key, mid, coalesce((j ->> 'timestamp')::float8::bigint, 0), NEW.model, t, search_tsvector(t));
    RETURN NULL;
  END $f$;
  CREATE TRIGGER search_message_added AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION search_message_added();

  CREATE FUNCTION search_message_gone() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
  BEGIN
    IF TG_OP = 'DELETE' AND (SELECT evicted FROM threads WHERE ws = OLD.ws AND id = OLD.thread) IS NOT NULL THEN RETURN NULL; END IF;
    DELETE FROM search_docs WHERE ws = OLD.ws AND thread = OLD.thread AND key = OLD.key;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER search_message_hidden AFTER UPDATE OF hidden ON messages FOR EACH ROW
    WHEN (NEW.hidden AND NOT OLD.hidden) EXECUTE FUNCTION search_message_gone();
  CREATE TRIGGER search_message_deleted AFTER DELETE ON messages FOR EACH ROW EXECUTE FUNCTION search_message_gone();

  CREATE FUNCTION search_title_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
  DECLARE
    title text := NEW.head::jsonb ->> 'title';
  BEGIN
    IF TG_OP = 'UPDATE' AND title IS NOT DISTINCT FROM (OLD.head::jsonb ->> 'title') THEN RETURN NULL; END IF;
    DELETE FROM search_docs WHERE ws = NEW.ws AND thread = NEW.id AND key = '';
    IF title IS NOT NULL THEN
      INSERT INTO search_docs (ws, thread, key, msg_id, at, model, body, tsv)
        VALUES (NEW.ws, NEW.id, '', NULL, NEW.updated, NULL, title, search_tsvector(title));
    END IF;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER search_title_changed AFTER INSERT OR UPDATE OF head ON threads FOR EACH ROW EXECUTE FUNCTION search_title_changed();

  -- Rebuilds one workspace's documents (every workspace's with NULL); evicted threads keep theirs.
  CREATE FUNCTION search_reindex(p_ws text) RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
  DECLARE
    n bigint;
  BEGIN
    DELETE FROM search_docs d WHERE (p_ws IS NULL OR d.ws = p_ws) AND (d.key = '' OR NOT EXISTS (
      SELECT 1 FROM threads t WHERE t.ws = d.ws AND t.id = d.thread AND t.evicted IS NOT NULL));
    INSERT INTO search_docs (ws, thread, key, msg_id, at, model, body, tsv)
      SELECT m.ws, m.thread, m.key, o.op_id, coalesce((x.j ->> 'timestamp')::float8::bigint, 0), m.model, y.t, search_tsvector(y.t)
      FROM messages m JOIN ops o ON o.ws = m.ws AND o.seq = m.seq,
        LATERAL (SELECT search_json(o.body) -> 'message' AS j) x, LATERAL (SELECT search_message_text(x.j) AS t) y
      WHERE (p_ws IS NULL OR m.ws = p_ws) AND NOT m.hidden;
    INSERT INTO search_docs (ws, thread, key, msg_id, at, model, body, tsv)
      SELECT t.ws, t.id, '', NULL, t.updated, NULL, x.title, search_tsvector(x.title)
      FROM threads t, LATERAL (SELECT t.head::jsonb ->> 'title' AS title) x
      WHERE (p_ws IS NULL OR t.ws = p_ws) AND x.title IS NOT NULL;
    SELECT count(*) INTO n FROM search_docs WHERE p_ws IS NULL OR ws = p_ws;
    RETURN n;
  END $f$;
  SELECT search_reindex(NULL);
`;

/**
 * One term as a tsquery expression over the parameter `p` (the term's tokens, space-separated).
 * The tokens are cut again with the very expression `search_tsvector` cuts the indexed text with,
 * so that both sides drop the same characters (which ones `[:alnum:]` keeps depends on the
 * database's locale: in C.UTF-8, combining accents and numbers such as `½` go) and a phrase's
 * words keep the same distances. A term left with no word is the empty tsquery, which `&&` and
 * `||` leave out.
 */
function tsTerm(p: string, prefix: boolean): string {
  const words = `regexp_split_to_table(btrim(regexp_replace(${p}, '[^[:alnum:]]+', ' ', 'g')), ' ') WITH ORDINALITY AS w(w, n)`;
  return `to_tsquery('simple', coalesce((SELECT string_agg(quote_literal(w), ' <-> ' ORDER BY n)${prefix ? " || ':*'" : ''} FROM ${words} WHERE w <> ''), ''))`;
}

/**
 * The tsquery of a parsed query as SQL: each term's tokens are a parameter (numbered from
 * `first`), never SQL or tsquery syntax; groups are joined with `&&`, their terms with `||`,
 * exclusions with `&& !!`.
 */
export function toTsquery(q: SearchQuery, first: number): { sql: string; params: string[] } {
  const params: string[] = [];
  const term = (t: SearchTerm) => {
    params.push(t.tokens.join(' '));
    return tsTerm(`$${first + params.length - 1}`, t.prefix);
  };
  const groups = q.all.map((g) => (g.length === 1 ? term(g[0]!) : `(${g.map(term).join(' || ')})`));
  const not = q.none.map((t) => `!!${term(t)}`);
  return { sql: [...groups, ...not].join(' && '), params };
}

const KIND_SQL = {
  main: "NOT (t.head::jsonb ? 'mainThreadID') AND NOT (t.head::jsonb ? 'originThreadID')",
  subagent: "t.head::jsonb ? 'mainThreadID'",
  summary: "NOT (t.head::jsonb ? 'mainThreadID') AND t.head::jsonb ? 'originThreadID'",
} as const;

type HitRow = { thread: ThreadID; msg_id: string | null; title: string | null; body: string; score: number; at: string; archived: boolean };

/** Runs a search in one workspace (`$1`): ranks by ts_rank_cd then recency; reads text for the page only. */
export async function postgresSearch(db: PgQueryable, schema: string, workspace: string, r: SearchRequest): Promise<SearchHit[]> {
  const s = schema;
  // The tsquery is made first, on its own: as a constant in the search it is planned like one
  // (made inside the search, it was evaluated again for every matching row: 2-3x slower).
  const tsq = toTsquery(r.query, 1);
  const made = (await db.query(`SELECT (${tsq.sql})::text AS q`, tsq.params)).rows[0] as { q: string };
  const params: unknown[] = [workspace, made.q, r.limit, r.offset];
  const where = ['d.ws = $1', 'd.tsv @@ q.q'];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (r.kind) where.push(KIND_SQL[r.kind]);
  if (r.cwd !== undefined) {
    const dir = r.cwd.endsWith('/') ? r.cwd : `${r.cwd}/`;
    params.push(r.cwd, dir);
    const c = `(t.head::jsonb #>> '{env,cwd}')`;
    where.push(`(${c} = $${params.length - 1} OR left(${c}, length($${params.length})) = $${params.length})`);
  }
  if (r.model !== undefined) add((n) => `d.model = ${n}`, r.model);
  if (r.since !== undefined) add((n) => `d.at >= ${n}::bigint`, Math.floor(r.since!));
  const joinThreads = r.kind !== undefined || r.cwd !== undefined ? `JOIN ${s}.threads t ON t.ws = d.ws AND t.id = d.thread` : '';
  const sql = `WITH q AS (SELECT $2::tsquery AS q),
    top AS MATERIALIZED (
      SELECT d.thread, d.key, d.msg_id, d.at, ts_rank_cd(d.tsv, q.q, 1) AS score FROM ${s}.search_docs d ${joinThreads}, q
      WHERE ${where.join(' AND ')} ORDER BY score DESC, d.at DESC, d.thread DESC, d.key DESC LIMIT $3 OFFSET $4)
    SELECT top.thread, top.msg_id, t.head::jsonb ->> 'title' AS title, d.body, top.score::float8 AS score, top.at,
      (t.evicted IS NOT NULL OR t.head::jsonb ? 'archived') AS archived
    FROM top JOIN ${s}.search_docs d ON d.ws = $1 AND d.thread = top.thread AND d.key = top.key
      JOIN ${s}.threads t ON t.ws = $1 AND t.id = top.thread
    ORDER BY top.score DESC, top.at DESC, top.thread DESC, top.key DESC`;
  let rows: HitRow[];
  try {
    rows = (await db.query(sql, params)).rows as HitRow[];
  } catch (err) {
    // Built from tokens, the tsquery should always parse; if it does not, it is the query's fault.
    if ((err as { code?: string }).code === '42601') throw new SkeinError(ErrorCode.VALIDATION, `query: not understood (${String(err)})`, { cause: err });
    throw err;
  }
  return rows.map((x) => ({
    threadId: x.thread,
    messageId: x.msg_id,
    title: x.title,
    text: x.body,
    score: x.score,
    at: Number(x.at),
    archived: x.archived,
  }));
}
