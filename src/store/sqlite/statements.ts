/** The SQL of the SQLite backend, one statement per operation, keyed by name (prepared once per database). */

const msgSelect = `SELECT o.body, o.v, o.op_id, t.id FROM messages m JOIN ops o ON o.seq = m.seq JOIN threads t ON t.tid = m.tid`;

/** Every statement, by name. */
export const SQLITE_STATEMENTS = {
  thread: 'SELECT tid, v, head, evicted FROM threads WHERE id = ?',
  commitRow: 'SELECT tid, v, evicted, msgs FROM threads WHERE id = ?',
  insertThread: 'INSERT INTO threads (id, v, last_seq, updated, head) VALUES (?, ?, 0, ?, ?)',
  // The title and message count are the head's, as columns (see migration 10).
  updateThread: 'UPDATE threads SET v = ?, last_seq = max(last_seq, ?), updated = ?, head = ?, title = ?, msgs = ? WHERE tid = ?',
  setThread: 'UPDATE threads SET v = ?, last_seq = ?, updated = ?, head = ?, title = ?, msgs = ? WHERE tid = ?',
  since: 'SELECT o.seq, o.v, o.op_id, o.body, t.id FROM ops o JOIN threads t ON t.tid = o.tid WHERE o.seq > ? ORDER BY o.seq LIMIT ?',
  seqsSince: 'SELECT seq FROM ops WHERE seq > ? ORDER BY seq LIMIT ?',
  deleteOpsAfter: 'DELETE FROM ops WHERE tid = ? AND v > ?',
  opSeqs: 'SELECT seq, op_id FROM ops WHERE tid = ?',
  // A seq is never given twice: max(highest, the floor deletions leave) + 1 (see migration 6).
  insertOp: `INSERT INTO ops (seq, tid, v, op_id, body) SELECT max(coalesce((SELECT max(seq) FROM ops), 0), n) + 1, ?, ?, ?, ?
    FROM store_meta WHERE name = 'seq_floor'`,
  raiseSeqFloor: "UPDATE store_meta SET n = max(n, coalesce((SELECT max(seq) FROM ops), 0)) WHERE name = 'seq_floor'",
  insertMsg:
    'INSERT INTO messages (tid, key, seq, hidden, model, day, in_tok, out_tok, cr_tok, cw_tok, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  insertCall: 'INSERT INTO tool_calls (tid, call_id, key) VALUES (?, ?, ?) ON CONFLICT (tid, call_id) DO UPDATE SET key = max(key, excluded.key)',
  deleteCalls: 'DELETE FROM tool_calls WHERE tid = ?',
  callKey: 'SELECT c.key FROM tool_calls c JOIN threads t ON t.tid = c.tid WHERE t.id = ? AND c.call_id = ?',
  insertRange:
    'INSERT INTO hidden_ranges (tid, op_id, from_key, to_key, from_msg) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tid, op_id) DO NOTHING',
  deleteRanges: 'DELETE FROM hidden_ranges WHERE tid = ?',
  ranges: 'SELECT op_id, from_key, to_key, from_msg FROM hidden_ranges WHERE tid = ? ORDER BY seq',
  rangesIn: 'SELECT op_id, from_key, to_key, from_msg FROM hidden_ranges WHERE tid = ? AND to_key > ? AND from_key < ? ORDER BY seq',
  insertLink: 'INSERT INTO thread_links (tid, rel, other, msg) VALUES (?, ?, ?, ?) ON CONFLICT (tid, rel, other, msg) DO NOTHING',
  deleteLinks: 'DELETE FROM thread_links WHERE tid = ?',
  links: 'SELECT rel, other, msg FROM thread_links WHERE tid = ? ORDER BY seq',
  hasLink: 'SELECT 1 FROM thread_links WHERE tid = ? AND rel = ? AND other = ? AND msg = ?',
  upsertMeta: 'INSERT INTO thread_meta (tid, key, value, stamp) VALUES (?, ?, ?, ?) ON CONFLICT (tid, key) DO UPDATE SET value = excluded.value, stamp = excluded.stamp',
  deleteMeta: 'DELETE FROM thread_meta WHERE tid = ?',
  meta: 'SELECT key, value, stamp FROM thread_meta WHERE tid = ? ORDER BY seq',
  metaKey: 'SELECT key, value, stamp FROM thread_meta WHERE tid = ? AND key = ?',
  hide: 'UPDATE messages SET hidden = 1 WHERE tid = ? AND key >= ? AND key < ? AND hidden = 0',
  ops: 'SELECT o.v, o.op_id, o.body FROM ops o WHERE o.tid = ? AND o.v > ? AND o.v <= ? ORDER BY o.v',
  hasOp: 'SELECT 1 FROM ops WHERE tid = ? AND op_id = ?',
  before: `${msgSelect} WHERE m.tid = ? AND m.hidden = 0 AND m.key < ? ORDER BY m.key DESC LIMIT ? OFFSET ?`,
  newest: `${msgSelect} WHERE m.tid = ? AND m.hidden = 0 ORDER BY m.key DESC LIMIT ? OFFSET ?`,
  after: `${msgSelect} WHERE m.tid = ? AND m.hidden = 0 AND m.key > ? ORDER BY m.key LIMIT ?`,
  oldest: `${msgSelect} WHERE m.tid = ? AND m.hidden = 0 ORDER BY m.key LIMIT ?`,
  opById: 'SELECT body FROM ops WHERE tid = ? AND op_id = ?',
  visibleKey: 'SELECT 1 FROM messages WHERE tid = ? AND key = ? AND hidden = 0',
  countBelow: 'SELECT count(*) AS n FROM messages WHERE tid = ? AND hidden = 0 AND key < ?',
  atIndex: `${msgSelect} WHERE m.tid = ? AND m.hidden = 0 ORDER BY m.key LIMIT 1 OFFSET ?`,
  list: `WITH page AS (
      SELECT tid, act FROM (
        SELECT tid, last_seq AS act FROM threads WHERE last_seq <= @snap
        UNION ALL
        SELECT t.tid, (SELECT max(o.seq) FROM ops o WHERE o.tid = t.tid AND o.seq <= @snap) FROM threads t WHERE t.last_seq > @snap
      ) WHERE act IS NOT NULL AND act < @below ORDER BY act DESC LIMIT @limit)
    SELECT t.head, page.act FROM page JOIN threads t ON t.tid = page.tid ORDER BY page.act DESC`,
  maxSeq: "SELECT max(coalesce((SELECT max(seq) FROM ops), 0), (SELECT n FROM store_meta WHERE name = 'seq_floor')) AS n",
  lease: 'SELECT owner, token, expires FROM leases WHERE thread_id = ?',
  putLease:
    'INSERT INTO leases (thread_id, owner, token, expires) VALUES (?, ?, ?, ?) ON CONFLICT(thread_id) DO UPDATE SET owner = excluded.owner, token = excluded.token, expires = excluded.expires',
  renew: 'UPDATE leases SET expires = ? WHERE thread_id = ? AND owner = ? AND token = ?',
  release: 'UPDATE leases SET expires = 0 WHERE thread_id = ? AND owner = ? AND token = ?',
  inconsistent: 'SELECT t.id FROM threads t WHERE t.evicted IS NULL AND t.v != coalesce((SELECT max(o.v) FROM ops o WHERE o.tid = t.tid), 0)',
  deleteMsgs: 'DELETE FROM messages WHERE tid = ?',
  deleteOps: 'DELETE FROM ops WHERE tid = ?',
  inactive: 'SELECT id FROM threads WHERE evicted IS NULL AND updated < ? AND id > ? ORDER BY id LIMIT ?',
  sumUsage: `INSERT INTO archived_usage (tid, model, day, in_tok, out_tok, cr_tok, cw_tok, cost, messages)
    SELECT tid, coalesce(model, ''), day, coalesce(sum(in_tok),0), coalesce(sum(out_tok),0), coalesce(sum(cr_tok),0),
      coalesce(sum(cw_tok),0), coalesce(sum(cost),0), count(*)
    FROM messages WHERE tid = ? AND (model IS NOT NULL OR in_tok IS NOT NULL OR out_tok IS NOT NULL OR cr_tok IS NOT NULL OR cw_tok IS NOT NULL OR cost IS NOT NULL)
    GROUP BY 2, 3`,
  dropUsage: 'DELETE FROM archived_usage WHERE tid = ?',
  setEvicted: 'UPDATE threads SET evicted = ? WHERE tid = ?',
  unevict: 'UPDATE threads SET evicted = NULL, last_seq = ? WHERE tid = ?',
  queueMention: 'INSERT INTO pending_mentions (target, thread_id, message_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  pendingMentions: 'SELECT seq, target, thread_id AS threadId, message_id AS messageId FROM pending_mentions WHERE seq > ? ORDER BY seq LIMIT ?',
  dropMentions: 'DELETE FROM pending_mentions WHERE seq IN (SELECT value FROM json_each(?))',
} as const;

/** The name of a statement. */
export type SqliteStatementName = keyof typeof SQLITE_STATEMENTS;
