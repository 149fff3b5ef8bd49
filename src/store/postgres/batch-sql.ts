/**
 * A commit's writes in as few round trips as the Postgres backend can make them. The common
 * commit (one stored thread, ops and message rows, no hidden ranges, no writer's fence: every
 * push the sync server takes) is one statement, so one implicit transaction: it locks the thread
 * row, checks its version, eviction and lease, takes the workspace's turn (only then are seqs
 * drawn), inserts ops and message rows and updates the thread row. When a check fails it writes
 * nothing and the caller takes the general path, which reports why. Inside an explicit transaction
 * (after the row lock) the writes of a stored thread without hides are one statement too.
 */
import { boundHead } from '../../model/bounded-links.js';
import type { CommitBatch } from '../backend.js';
import { opBody, usageColumns } from '../view.js';

/** The statements, for one schema. `$1` is the workspace, `$2` the thread. */
export function batchStatements(s: string) {
  // $3: the turn's lock key (NULL: the caller holds it); $4-$6 ops; $7-$16 message rows.
  const writes = `ins AS (INSERT INTO ${s}.ops (ws, thread, v, op_id, body)
        SELECT $1, $2, u.v, u.op_id, u.body FROM turn, unnest($4::int[], $5::text[], $6::text[]) WITH ORDINALITY AS u(v, op_id, body, n) ORDER BY u.n
        %CONFLICT% RETURNING seq, v, op_id),
      msgs AS (INSERT INTO ${s}.messages (ws, thread, key, seq, hidden, model, day, in_tok, out_tok, cr_tok, cw_tok, cost)
        SELECT $1, $2, m.key, ins.seq, m.hidden, m.model, m.day, m.in_tok, m.out_tok, m.cr_tok, m.cw_tok, m.cost
        FROM unnest($7::text[], $8::text[], $9::bool[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::float8[])
          AS m(id, key, hidden, model, day, in_tok, out_tok, cr_tok, cw_tok, cost) JOIN ins ON ins.op_id = m.id)`;
  const turn = `pg_advisory_xact_lock(hashtextextended($3, 0))`;
  return {
    // The writes of a locked, stored thread; $17 v, $18 updated, $19 head. Message rows find their
    // op by id (a message op's id is its message's); the search trigger on messages runs at the
    // end of the statement, when the ops are there.
    writeBatch: `WITH turn AS (SELECT CASE WHEN $3::text IS NULL THEN NULL ELSE ${turn} END AS t),
      ${writes.replace('%CONFLICT%', 'ON CONFLICT DO NOTHING')},
      upd AS (UPDATE ${s}.threads SET v = $17, last_seq = greatest(last_seq, (SELECT coalesce(max(seq), 0) FROM ins)), updated = $18, head = $19
        WHERE ws = $1 AND id = $2)
      SELECT seq, v, op_id FROM ins`,
    // The whole commit; $17 v, $18 updated, $19 and $20 the head's text before and after its
    // message count, $21 the base version, $22 now, $23 the visible messages added, $24 the head
    // text the caller expects (NULL: any). A duplicate op
    // fails the statement (nothing is written); a failed check inserts nothing.
    commitAlone: `WITH t AS (SELECT v, head, evicted FROM ${s}.threads WHERE ws = $1 AND id = $2 FOR UPDATE),
      l AS (SELECT expires FROM ${s}.leases WHERE ws = $1 AND thread_id = $2 FOR SHARE),
      ok AS (SELECT coalesce((t.head::json ->> 'messageCount')::int, 0) AS n FROM t
        WHERE t.v = $21 AND ($24::text IS NULL OR t.head = $24::text) AND t.evicted IS NULL AND NOT EXISTS (SELECT 1 FROM l WHERE l.expires > $22::bigint)),
      turn AS (SELECT ${turn} FROM ok),
      ${writes.replace('%CONFLICT%', '')},
      upd AS (UPDATE ${s}.threads SET v = $17, last_seq = greatest(last_seq, (SELECT coalesce(max(seq), 0) FROM ins)), updated = $18,
        head = $19::text || ((SELECT n FROM ok) + $23::int)::text || $20::text
        WHERE ws = $1 AND id = $2 AND EXISTS (SELECT 1 FROM ok))
      SELECT count(*)::int AS n FROM ins`,
  };
}

/** The hidden flags and usage columns of message rows, one array per column (for unnest). */
export function usageParams(rows: CommitBatch['inserts']): unknown[] {
  const cols = rows.map(({ message }) => usageColumns(message));
  return [rows.map((r) => r.hidden), ...[0, 1, 2, 3, 4, 5, 6].map((i) => cols.map((u) => u[i]))];
}

/** `$4`-`$16` of both statements: the ops and the message rows. */
function writeParams(b: CommitBatch): unknown[] {
  return [b.ops.map((o) => o.v), b.ops.map((o) => o.opId), b.ops.map(opBody), b.inserts.map((r) => r.message.id), b.inserts.map((r) => r.message.key), ...usageParams(b.inserts)];
}

/** Parameters (after the workspace) of `writeBatch`; `lockKey` null when the turn is already held. */
export function writeBatchParams(b: CommitBatch, lockKey: string | null, messageCount: number): unknown[] {
  return [b.threadId, lockKey, ...writeParams(b), b.head.v, b.head.updated, JSON.stringify(boundHead({ ...b.head, messageCount }))];
}

/**
 * Parameters (after the workspace) of `commitAlone`, or undefined when the batch does not qualify
 * (a new thread, hides, links, meta keys, a fence, or a head whose text cannot be cut around its message count).
 */
export function commitAloneParams(b: CommitBatch, lockKey: string, now: number, headText: string | null = null): unknown[] | undefined {
  if (b.baseVersion === 0 || b.hides.length > 0 || b.links?.length || b.meta?.length || b.fence || b.ops.length === 0 || b.mentions?.length) return undefined;
  // The head as the general path writes it, with the count spliced in by the statement: it must
  // end with the count and then `updated` (as batches build it), so that the cut is exact.
  const text = JSON.stringify(boundHead({ ...b.head, messageCount: 0 }));
  const after = `,"updated":${JSON.stringify(b.head.updated)}}`;
  const tail = `"messageCount":0${after}`;
  if (!text.endsWith(tail)) return undefined;
  const before = text.slice(0, -tail.length) + '"messageCount":';
  const added = b.inserts.filter((r) => !r.hidden).length;
  return [b.threadId, lockKey, ...writeParams(b), b.head.v, b.head.updated, before, after, b.baseVersion, now, added, headText];
}
