/**
 * How the server takes one pushed thread: ops it already holds (same opId) are acknowledged and
 * not applied again; ops on the current version are folded and committed in one transaction;
 * a push on a stale base gets the server's ops after that base; a bad op rejects the thread.
 */
import { SkeinError, ErrorCode, fromUnknown } from '../errors.js';
import { emptyThread, type ThreadCore } from '../model/apply.js';
import { boundHead } from '../model/bounded-links.js';
import type { Op, ThreadHead, ThreadID } from '../model/types.js';
import type { CommitBatch, StorageBackend } from '../store/backend.js';
import { batchFromOps, storedLookup } from '../store/batch.js';
import { renumber } from '../store/replay.js';
import { parsePushOps, type PushResult } from '../sync/protocol.js';
import { checkClocks } from './clock-check.js';

/**
 * The head this server last wrote for each thread (as the backend stores it), so that the next
 * push to it can skip reading the head: the backend commits only if the stored head is still
 * exactly that text (`commitIfHead`), so a head changed by anyone else is never trusted.
 */
export class HeadCache {
  private readonly heads = new Map<string, { head: ThreadHead; text: string }>();

  constructor(private readonly max = 10_000) {}

  get(key: string): { head: ThreadHead; text: string } | undefined {
    return this.heads.get(key);
  }

  /** Remembers the head `batch` wrote: its head with the message count the backend keeps. */
  set(key: string, batch: CommitBatch, storedCount: number): void {
    // As the backend stores it: bounded (model/hidden.ts, model/bounded-links.ts), so that the text compares equal.
    const head: ThreadHead = boundHead({ ...batch.head, messageCount: storedCount + batch.inserts.filter((r) => !r.hidden).length });
    this.heads.delete(key);
    if (this.heads.size >= this.max) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(key, { head, text: JSON.stringify(head) });
  }

  delete(key: string): void {
    this.heads.delete(key);
  }
}

/** Commits `ops` on the remembered head when the push is on its version; false: nothing written. */
async function onRememberedHead(backend: StorageBackend, heads: { cache: HeadCache; key: string }, baseVersion: number, ops: Op[], now: number): Promise<boolean> {
  const known = heads.cache.get(heads.key);
  if (!known || !backend.commitIfHead || known.head.v !== baseVersion || ops.length === 0 || ops.some((op) => op.type === 'thread:create')) return false;
  checkClocks(ops, now);
  const batch = await batchFromOps(known.head, ops, now, undefined, storedLookup(backend, known.head.id));
  if (await backend.commitIfHead(batch, known.text, now)) {
    heads.cache.set(heads.key, batch, known.head.messageCount);
    return true;
  }
  heads.cache.delete(heads.key);
  return false;
}

function coreOf(id: ThreadID): ThreadCore {
  const { messages: _m, ...core } = emptyThread(id);
  return core;
}

/**
 * Applies one pushed thread to a workspace's backend. Bad input (and any other failure with a
 * code of its own) becomes `rejected` for this thread only; a failure of the server itself
 * (INTERNAL, SERVER) is thrown, so that the push answers 5xx and the client retries later.
 */
export async function applyPushedThread(
  backend: StorageBackend,
  raw: { id: ThreadID; baseVersion: number; ops: unknown[] },
  now: number,
  options: {
    /** The heads this process wrote, and this thread's key among them. */
    heads?: { cache: HeadCache; key: string };
    /** How a batch is committed (default: `backend.commit` alone; the server groups them, group-commit.ts). */
    commit?: (batch: CommitBatch, now: number) => Promise<void>;
  } = {},
): Promise<PushResult & { applied: number }> {
  const { heads } = options;
  const commit = options.commit ?? ((batch: CommitBatch, at: number) => backend.commit([batch], at));
  const id = raw.id;
  try {
    const ops = parsePushOps(raw);
    if (heads && (await onRememberedHead(backend, heads, raw.baseVersion, ops, now))) return { id, status: 'ok', v: raw.baseVersion + ops.length, applied: ops.length };
    for (let attempt = 0; ; attempt++) {
      const head = await backend.getHead(id);
      const v = head?.v ?? 0;
      // On the current version nothing pushed can be stored yet (it would sit above the base); a
      // duplicate below it would still be refused by the log's unique op ids.
      let fresh: Op[] = ops;
      if (v !== raw.baseVersion) {
        const stored = new Set((await backend.ops(id, raw.baseVersion, raw.baseVersion + ops.length)).map((o) => o.opId));
        fresh = [];
        for (const op of ops) if (!stored.has(op.opId) && !(await backend.hasOp(id, op.opId))) fresh.push(op);
      }
      const known = ops.length - fresh.length;
      if (fresh.length === 0) return { id, status: 'ok', v, applied: 0 };
      if (raw.baseVersion + known !== v) {
        return { id, status: 'conflict', v, ops: await backend.ops(id, raw.baseVersion, v), applied: 0 };
      }
      if (v === 0 && fresh[0]!.type !== 'thread:create')
        return { id, status: 'rejected', code: ErrorCode.NOT_FOUND, message: `thread ${id} does not exist here: its first op must be thread:create`, applied: 0 };
      const numbered = renumber(fresh, v);
      if (numbered.some((op) => op.type === 'thread:create' && op.v !== 1))
        return { id, status: 'rejected', code: ErrorCode.VALIDATION, message: 'thread:create must be the first op', applied: 0 };
      checkClocks(numbered, now);
      const base: ThreadHead = head ?? { ...coreOf(id), messageCount: 0, updated: now };
      const batch = await batchFromOps(base, numbered, now, undefined, storedLookup(backend, id));
      try {
        await commit(batch, now);
        heads?.cache.set(heads.key, batch, base.messageCount);
      } catch (err) {
        // Another server instance committed in between: look again.
        if (err instanceof SkeinError && err.code === ErrorCode.VERSION_CONFLICT && attempt < 3) continue;
        throw err;
      }
      return { id, status: 'ok', v: v + numbered.length, applied: numbered.length };
    }
  } catch (err) {
    const e = err instanceof SkeinError ? err : fromUnknown(err);
    if (e.code === ErrorCode.INTERNAL || e.code === ErrorCode.SERVER) throw e;
    return { id, status: 'rejected', code: e.code, message: e.message, applied: 0 };
  }
}

/** The pull cursor a push names (header), or undefined when absent or not a count. */
export function pullCursorOf(raw: string | undefined): number | undefined {
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * Most ops a push may have stored for its answer to say whether the client is caught up (larger
 * pushes pull): the check reads that many seqs, or whole ops from a backend without `seqsSince`.
 */
const CAUGHT_UP_MAX_SEQS = 20_000;
const CAUGHT_UP_MAX_OPS = 100;

/**
 * The seq of the newest op when the ops after `since` are exactly the `applied` ones this push
 * stored (its ops were drawn after every op the client had seen), else undefined. Counting,
 * not subtracting seqs: seqs have gaps (PostgreSQL draws them for every workspace from one sequence).
 */
export async function onlyOwnOpsSince(backend: StorageBackend, since: number, applied: number): Promise<number | undefined> {
  if (applied > (backend.seqsSince ? CAUGHT_UP_MAX_SEQS : CAUGHT_UP_MAX_OPS)) return undefined;
  const seqs = backend.seqsSince ? await backend.seqsSince(since, applied + 1) : (await backend.opsSince(since, applied + 1)).map((r) => r.seq);
  return seqs.length === applied ? (seqs.at(-1) ?? since) : undefined;
}
