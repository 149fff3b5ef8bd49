/**
 * The SQLite backend's tables beside the head for hidden ranges, links and meta keys
 * (model/hidden.ts, model/bounded-links.ts, model/bounded-meta.ts): written inside the caller's
 * transaction, read by thread row id.
 */
import { linksOf, type StoredLink } from '../../model/bounded-links.js';
import { metaOf, type StoredMeta } from '../../model/bounded-meta.js';
import type { HiddenRange, ThreadHead } from '../../model/types.js';
import { linkOfRow, metaOfRow, type LinkRow, type MetaRow } from '../view.js';
import type { SqliteStatement } from './driver.js';
import type { SqliteStatementName } from './statements.js';

type Statements = Record<SqliteStatementName, SqliteStatement>;

/** Keeps ranges and links beside the head, each once, after the ones kept before, and meta keys (a key kept before takes the new value and writer, in its place). */
export function addBeside(s: Statements, tid: number, add: { ranges: readonly HiddenRange[]; links: readonly StoredLink[]; meta: readonly StoredMeta[] }): void {
  for (const r of add.ranges) s.insertRange.run(tid, r.opId, r.fromKey, r.toKey, r.fromMessageId);
  for (const l of add.links) s.insertLink.run(tid, l.rel, l.threadId, l.messageId ?? '');
  for (const m of add.meta) s.upsertMeta.run(tid, m.key, JSON.stringify(m.value), JSON.stringify(m.stamp));
}

/**
 * What is kept beside a head written whole (a view rebuilt): a whole head (rebuilt from the log,
 * nothing cut) holds every range, link and key, so it replaces what was kept; a bounded one only adds.
 */
export function replaceBeside(s: Statements, tid: number, head: ThreadHead): void {
  if (head.clock.hiddenBefore === undefined) s.deleteRanges.run(tid);
  if (head.clock.linkCounts === undefined) s.deleteLinks.run(tid);
  if (head.clock.metaCount === undefined) s.deleteMeta.run(tid);
  addBeside(s, tid, { ranges: head.clock.hidden, links: linksOf(head), meta: metaOf(head) });
}

/** The links kept: all, in the order added, or those of `only` that are kept. */
export function readLinks(s: Statements, tid: number, only?: readonly StoredLink[]): StoredLink[] {
  if (only) return only.filter((l) => s.hasLink.get(tid, l.rel, l.threadId, l.messageId ?? '') !== undefined).map((l) => ({ ...l }));
  return (s.links.all(tid) as LinkRow[]).map(linkOfRow);
}

/** The meta keys kept: all, in the order first set, or those of `keys` that are kept. */
export function readMeta(s: Statements, tid: number, keys?: readonly string[]): StoredMeta[] {
  const rows = keys ? keys.flatMap((k) => (s.metaKey.all(tid, k) as MetaRow[])) : (s.meta.all(tid) as MetaRow[]);
  return rows.map(metaOfRow);
}
