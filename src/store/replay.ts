/**
 * Folding a whole op log into a thread's view (head and message rows): what crash recovery,
 * sync rebases and threads arriving from the server need. `replayView` is pure; `recoverViews`
 * applies it to the threads of a backend whose view disagrees with their log.
 */
import { emptyThread, isHidden, step, type ThreadCore } from '../model/apply.js';
import type { Message, Op, ThreadHead, ThreadID } from '../model/types.js';
import type { StorageBackend } from './backend.js';

/** A thread's view rebuilt from its log. */
export interface ReplayedView {
  head: ThreadHead;
  rows: { message: Message; hidden: boolean }[];
}

/** Folds `ops` (the whole log, in order) into a head and message rows. */
export function replayView(id: ThreadID, ops: readonly Op[], updated?: number): ReplayedView {
  const { messages: _none, ...empty } = emptyThread(id);
  let core: ThreadCore = empty;
  const rows = new Map<string, { message: Message; hidden: boolean }>();
  for (const op of ops) {
    const r = step(core, op);
    core = r.core;
    if (r.effect.kind === 'insert') rows.set(r.effect.message.id, { message: r.effect.message, hidden: r.effect.hidden });
    else if (r.effect.kind === 'hide') {
      const range = r.effect.range;
      for (const row of rows.values()) if (!row.hidden && isHidden(row.message.key!, [range])) row.hidden = true;
    }
  }
  const all = [...rows.values()];
  const visible = all.filter((r) => !r.hidden).length;
  return { head: { ...core, messageCount: visible, updated: updated ?? ops.at(-1)?.at ?? 0 }, rows: all };
}

/** Gives ops new consecutive versions from `fromVersion + 1` (a rebase moves ops after others). */
export function renumber(ops: readonly Op[], fromVersion: number): Op[] {
  return ops.map((op, i) => ({ ...op, v: fromVersion + i + 1 }));
}

/** Repairs every thread whose materialized view disagrees with its op log, by replaying the log. */
export async function recoverViews(backend: StorageBackend): Promise<ThreadID[]> {
  const broken = await backend.inconsistentThreads();
  for (const id of broken) {
    const ops = await backend.ops(id, 0, Number.MAX_SAFE_INTEGER);
    const old = await backend.getHead(id);
    const { head, rows } = replayView(id, ops, old?.updated);
    await backend.replaceView(head, rows);
  }
  return broken;
}
