/** The SQL of the Postgres backend, one statement per operation, for one schema. */
const USAGE_SUMS = `coalesce(sum(in_tok), 0)::float8 AS "inputTokens", coalesce(sum(out_tok), 0)::float8 AS "outputTokens",
  coalesce(sum(cr_tok), 0)::float8 AS "cacheReadTokens", coalesce(sum(cw_tok), 0)::float8 AS "cacheWriteTokens",
  coalesce(sum(cost), 0)::float8 AS "costUSD", sum(n)::float8 AS messages`;

/** A message row that counts in usage: it has a model or any usage number. */
const USAGE_ROW = 'model IS NOT NULL OR in_tok IS NOT NULL OR out_tok IS NOT NULL OR cr_tok IS NOT NULL OR cw_tok IS NOT NULL OR cost IS NOT NULL';

/** Every statement of the backend, with tables qualified by schema; `$1` is always the workspace. */
export function statements(s: string) {
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
    queueMentions: `INSERT INTO ${s}.pending_mentions (ws, target, thread, message_id)
      SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    pendingMentions: `SELECT seq::float8 AS seq, target, thread AS "threadId", message_id AS "messageId" FROM ${s}.pending_mentions
      WHERE ws = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3`,
    dropMentions: `DELETE FROM ${s}.pending_mentions WHERE ws = $1 AND seq = ANY($2::bigint[])`,
    wsLock: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    head: `SELECT head FROM ${s}.threads WHERE ws = $1 AND id = $2`,
    lockThread: `SELECT v, head, evicted::float8 AS evicted FROM ${s}.threads WHERE ws = $1 AND id = $2 FOR UPDATE`,
    lockThreads: `SELECT id FROM ${s}.threads WHERE ws = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
    insertThread: `INSERT INTO ${s}.threads (ws, id, v, last_seq, updated, head) VALUES ($1, $2, $3, 0, $4, $5)`,
    updateThread: `UPDATE ${s}.threads SET v = $3, last_seq = greatest(last_seq, $4), updated = $5, head = $6 WHERE ws = $1 AND id = $2`,
    setThread: `UPDATE ${s}.threads SET v = $3, last_seq = $4, updated = $5, head = $6 WHERE ws = $1 AND id = $2`,
    since: `SELECT seq, thread, v, op_id, body FROM ${s}.ops WHERE ws = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3`,
    seqsSince: `SELECT seq FROM ${s}.ops WHERE ws = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3`,
    deleteOpsAfter: `DELETE FROM ${s}.ops WHERE ws = $1 AND thread = $2 AND v > $3::bigint`,
    // ORDER BY the input position so that seq rises with v inside a batch too.
    insertOps: `INSERT INTO ${s}.ops (ws, thread, v, op_id, body)
      SELECT $1, $2, u.v, u.op_id, u.body FROM unnest($3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS u(v, op_id, body, n) ORDER BY u.n
      ON CONFLICT DO NOTHING RETURNING seq, v, op_id`,
    insertMsgs: `INSERT INTO ${s}.messages (ws, thread, key, seq, hidden, model, day, in_tok, out_tok, cr_tok, cw_tok, cost)
      SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
        $10::bigint[], $11::bigint[], $12::float8[])`,
    // ORDER BY the input position so that seq follows the ranges' order.
    insertRanges: `INSERT INTO ${s}.hidden_ranges (ws, thread, op_id, from_key, to_key, from_msg)
      SELECT $1, $2, u.op_id, u.from_key, u.to_key, u.from_msg FROM unnest($3::text[], $4::text[], $5::text[], $6::text[])
        WITH ORDINALITY AS u(op_id, from_key, to_key, from_msg, n) ORDER BY u.n
      ON CONFLICT DO NOTHING`,
    deleteRanges: `DELETE FROM ${s}.hidden_ranges WHERE ws = $1 AND thread = $2`,
    ranges: `SELECT op_id, from_key, to_key, from_msg FROM ${s}.hidden_ranges WHERE ws = $1 AND thread = $2 ORDER BY seq`,
    rangesIn: `SELECT op_id, from_key, to_key, from_msg FROM ${s}.hidden_ranges
      WHERE ws = $1 AND thread = $2 AND to_key > $3 AND from_key < $4 ORDER BY seq`,
    // ORDER BY the input position so that seq follows the links' order.
    insertLinks: `INSERT INTO ${s}.thread_links (ws, thread, rel, other, msg)
      SELECT $1, $2, u.rel, u.other, u.msg FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(rel, other, msg, n) ORDER BY u.n
      ON CONFLICT DO NOTHING`,
    deleteLinks: `DELETE FROM ${s}.thread_links WHERE ws = $1 AND thread = $2`,
    links: `SELECT rel, other, msg FROM ${s}.thread_links WHERE ws = $1 AND thread = $2 ORDER BY seq`,
    linksIn: `SELECT l.rel, l.other, l.msg FROM ${s}.thread_links l JOIN unnest($3::text[], $4::text[], $5::text[]) AS u(rel, other, msg)
      ON l.rel = u.rel AND l.other = u.other AND l.msg = u.msg WHERE l.ws = $1 AND l.thread = $2 ORDER BY l.seq`,
    // A key kept before takes the new value and writer, in its place (its seq).
    upsertMeta: `INSERT INTO ${s}.thread_meta (ws, thread, key, value, stamp)
      SELECT $1, $2, u.key, u.value, u.stamp FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(key, value, stamp, n) ORDER BY u.n
      ON CONFLICT (ws, thread, key) DO UPDATE SET value = excluded.value, stamp = excluded.stamp`,
    deleteMeta: `DELETE FROM ${s}.thread_meta WHERE ws = $1 AND thread = $2`,
    meta: `SELECT key, value, stamp FROM ${s}.thread_meta WHERE ws = $1 AND thread = $2 ORDER BY seq`,
    metaIn: `SELECT key, value, stamp FROM ${s}.thread_meta WHERE ws = $1 AND thread = $2 AND key = ANY($3::text[]) ORDER BY seq`,
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
    // The thread row FOR UPDATE, then its lease FOR SHARE, in one round trip; a missing row is all NULLs.
    lockThreadLease: `SELECT t.v, t.head, t.evicted, l.owner, l.token, l.expires FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT v, head, evicted::float8 AS evicted FROM ${s}.threads WHERE ws = $1 AND id = $2 FOR UPDATE) t ON true
      LEFT JOIN LATERAL (SELECT owner, token, expires FROM ${s}.leases WHERE ws = $1 AND thread_id = $2 FOR SHARE) l ON true`,
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
