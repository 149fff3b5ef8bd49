/**
 * Who may see a thread on the server (DESIGN: visibility). A thread is `workspace` (every token
 * of its workspace), `private` (only tokens of its creator's user) or `public` (also anyone with
 * its share link `/s/<shareId>`, read-only, without a token). The thread's head holds its
 * visibility (a `visibility:set` op); the server keeps a copy with the creator in its storage
 * (`thread_access`), written after a push that creates the thread or sets its visibility, and
 * checks it on every route.
 *
 * The creator is the user of the token whose push carried the thread's `thread:create`.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Store } from '../store/store.js';
import type { ServerStorage, ThreadAccess } from './server-storage.js';

/** True when `user` may see a thread with this access record (none recorded: `workspace`). */
export function canSee(access: ThreadAccess | undefined, user: string): boolean {
  return access === undefined || access.visibility !== 'private' || access.creator === user;
}

/**
 * The subset of `ids` that `user` may see in `workspace`. Only a private thread hides anything, so
 * the workspace's private threads (cached by the storage) decide; no lookup per thread.
 */
export async function visibleIds(storage: ServerStorage, workspace: string, user: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const hidden = await hiddenFrom(storage, workspace, user);
  return new Set(hidden.size === 0 ? ids : ids.filter((id) => !hidden.has(id)));
}

/** The private threads of `workspace` that `user` may not see (left out of pulls). */
export async function hiddenFrom(storage: ServerStorage, workspace: string, user: string): Promise<Set<string>> {
  const hidden = new Set<string>();
  for (const a of await storage.privateThreads(workspace)) if (!canSee(a, user)) hidden.add(a.id);
  return hidden;
}

/**
 * Fails with NOT_FOUND (as for a thread that does not exist, so that its existence does not
 * leak) unless `user` may see the thread.
 */
export async function mustSee(storage: ServerStorage, workspace: string, user: string, id: string): Promise<void> {
  if ((await hiddenFrom(storage, workspace, user)).has(id)) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
}

/**
 * Records the visibility of a thread after a push applied ops to it (the creator when `ops` create
 * it). Only a create or a `visibility:set` can change what is recorded, so other pushes (nearly
 * all of them) write nothing: the record would be the same row again, at the price of a second
 * durable write per push.
 */
export async function noteAfterPush(storage: ServerStorage, store: Store, workspace: string, user: string, id: ThreadID, ops: readonly unknown[]): Promise<void> {
  const typeOf = (op: unknown) => (op as { type?: unknown } | null)?.type;
  const creates = ops.some((op) => typeOf(op) === 'thread:create');
  if (!creates && !ops.some((op) => typeOf(op) === 'visibility:set')) return;
  const info = await store.info(id);
  if (!info) return;
  await storage.noteThread(workspace, {
    id,
    ...(creates && { creator: user }),
    visibility: info.visibility ?? 'workspace',
    ...(info.visibility === 'public' && info.shareId !== undefined && { shareId: info.shareId }),
  });
}
