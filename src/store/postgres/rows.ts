/** Helpers over rows the Postgres backend reads back (bigint columns arrive as strings). */
import type { Op } from '../../model/types.js';
import type { LeaseState, PendingMention } from '../backend.js';

/** A lease row as read. */
export type LeaseRow = { owner: string; token: string; expires: string };

/** A lease row's state. */
export const leaseOf = (r: LeaseRow | undefined): LeaseState | undefined =>
  r && { owner: r.owner, token: Number(r.token), expires: Number(r.expires) };

/** Queued mention links as the column arrays of one insert (targets, threads, messages). */
export function mentionColumns(m: readonly PendingMention[]): string[][] {
  return [m.map((x) => x.target), m.map((x) => x.threadId), m.map((x) => x.messageId)];
}

/** The highest of some sequence numbers (bigint columns arrive as strings), 0 for none. */
export function highest(seqs: Iterable<string>): number {
  let n = 0;
  for (const s of seqs) n = Math.max(n, Number(s));
  return n;
}

/** The first op the insert skipped (its opId or version already taken), if any. */
export function firstSkipped(ops: Op[], inserted: { v: number; op_id: string }[]): Op | undefined {
  if (inserted.length === ops.length) return undefined;
  const left = new Map<string, number>();
  for (const r of inserted) left.set(`${r.v}\n${r.op_id}`, (left.get(`${r.v}\n${r.op_id}`) ?? 0) + 1);
  return ops.find((op) => {
    const k = `${op.v}\n${op.opId}`;
    const n = left.get(k) ?? 0;
    left.set(k, n - 1);
    return n <= 0;
  });
}
