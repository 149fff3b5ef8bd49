/** Token and cost sums of threads' messages, live and archived, grouped by model, day or all (the SQLite backend's `usage`). */
import type { ThreadID } from '../../model/ids.js';
import type { UsageRow } from '../backend.js';
import { addUsage } from '../view.js';
import type { SqliteDatabase } from './driver.js';

const USAGE_SUMS = `coalesce(sum(in_tok),0) AS inputTokens, coalesce(sum(out_tok),0) AS outputTokens,
  coalesce(sum(cr_tok),0) AS cacheReadTokens, coalesce(sum(cw_tok),0) AS cacheWriteTokens,
  coalesce(sum(cost),0) AS costUSD, count(*) AS messages`;

/** Adds archived usage sums into the live ones, group by group. */
function mergeUsageRows(live: UsageRow[], archived: UsageRow[]): UsageRow[] {
  const out = new Map(live.map((r) => [r.group, { ...r }]));
  for (const a of archived) {
    const r = out.get(a.group);
    if (!r) out.set(a.group, { ...a });
    else addUsage(r, a);
  }
  return [...out.values()].sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : 0));
}

/** The usage sums of `ids`, grouped by `by`. */
export function usageOf(db: SqliteDatabase, ids: ThreadID[], by: 'model' | 'day' | 'all'): UsageRow[] {
  if (ids.length === 0) return [];
  const group = by === 'model' ? "coalesce(m.model, '')" : by === 'day' ? 'm.day' : "''";
  const marks = ids.map(() => '?').join(',');
  const sql = `SELECT ${group} AS "group", ${USAGE_SUMS} FROM messages m JOIN threads t ON t.tid = m.tid
    WHERE t.id IN (${marks}) AND (m.model IS NOT NULL OR m.in_tok IS NOT NULL OR m.out_tok IS NOT NULL OR m.cr_tok IS NOT NULL OR m.cw_tok IS NOT NULL OR m.cost IS NOT NULL)
    GROUP BY 1 ORDER BY 1`;
  const rows = db.prepare(sql).all(...ids) as UsageRow[];
  const archivedGroup = by === 'model' ? 'a.model' : by === 'day' ? 'a.day' : "''";
  const archived = db
    .prepare(
      `SELECT ${archivedGroup} AS "group", sum(a.in_tok) AS inputTokens, sum(a.out_tok) AS outputTokens, sum(a.cr_tok) AS cacheReadTokens,
        sum(a.cw_tok) AS cacheWriteTokens, sum(a.cost) AS costUSD, sum(a.messages) AS messages
      FROM archived_usage a JOIN threads t ON t.tid = a.tid WHERE t.id IN (${marks}) GROUP BY 1 ORDER BY 1`,
    )
    .all(...ids) as UsageRow[];
  return archived.length === 0 ? rows : mergeUsageRows(rows, archived);
}
