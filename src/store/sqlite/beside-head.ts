/**
 * The SQLite backend's tables beside the head for links and meta keys (model/bounded-links.ts,
 * model/bounded-meta.ts): written inside the caller's transaction, read by thread row id.
 */
import type { StoredLink } from '../../model/bounded-links.js';
import type { StoredMeta } from '../../model/bounded-meta.js';
import { linkOfRow, metaOfRow, type LinkRow, type MetaRow } from '../view.js';
import type { SqliteStatement } from './driver.js';
import type { SqliteStatementName } from './statements.js';

type Statements = Record<SqliteStatementName, SqliteStatement>;

/** Keeps links beside the head, each once, after the ones kept before. */
export function insertLinks(s: Statements, tid: number, links: readonly StoredLink[]): void {
  for (const l of links) s.insertLink.run(tid, l.rel, l.threadId, l.messageId ?? '');
}

/** The links kept: all, in the order added, or those of `only` that are kept. */
export function readLinks(s: Statements, tid: number, only?: readonly StoredLink[]): StoredLink[] {
  if (only) return only.filter((l) => s.hasLink.get(tid, l.rel, l.threadId, l.messageId ?? '') !== undefined).map((l) => ({ ...l }));
  return (s.links.all(tid) as LinkRow[]).map(linkOfRow);
}

/** Keeps meta keys beside the head: a key kept before takes the new value and writer, in its place. */
export function upsertMeta(s: Statements, tid: number, meta: readonly StoredMeta[]): void {
  for (const m of meta) s.upsertMeta.run(tid, m.key, JSON.stringify(m.value), JSON.stringify(m.stamp));
}

/** The meta keys kept: all, in the order first set, or those of `keys` that are kept. */
export function readMeta(s: Statements, tid: number, keys?: readonly string[]): StoredMeta[] {
  const rows = keys ? keys.flatMap((k) => (s.metaKey.all(tid, k) as MetaRow[])) : (s.meta.all(tid) as MetaRow[]);
  return rows.map(metaOfRow);
}
