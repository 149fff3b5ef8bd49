/**
 * What reverting one file's recorded changes means, decided without I/O. The changes are walked
 * newest first from the file's current content: a change whose `after` is what the file holds is
 * undone (the file goes back to its `before`); a change whose `before` is already there was undone
 * before (a rollback run again after a crash) or never written; anything else means someone
 * changed the file after the agent, a conflict. The file is then written once, to the final
 * state, so that a crash leaves it either untouched or fully reverted.
 */
import type { FileChangeRecord } from './record-store.js';

/** The outcome for one file: write `to` (null: remove it), nothing to do, or a conflict. */
export type RevertPlan =
  | { kind: 'write'; to: string | null }
  | { kind: 'unchanged' }
  | { kind: 'conflict'; expected: string | null; found: string | null };

/**
 * Plans the revert of `changes` (one file's, newest first) given the file's current content hash
 * (null when there is no file). With `force`, a conflicting change is undone anyway.
 */
export function planRevert(changes: readonly FileChangeRecord[], current: string | null, force: boolean): RevertPlan {
  const oldest = changes.at(-1);
  if (!oldest) return { kind: 'unchanged' };
  const target = oldest.before ?? null;
  if (current === target) return { kind: 'unchanged' };
  let state = current;
  for (const c of changes) {
    const after = c.after ?? null;
    const before = c.before ?? null;
    if (state === after || force) state = before;
    else if (state !== before) return { kind: 'conflict', expected: after, found: current };
  }
  return state === current ? { kind: 'unchanged' } : { kind: 'write', to: state };
}
