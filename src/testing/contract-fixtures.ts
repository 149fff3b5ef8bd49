/**
 * Realistic data for the storage contract suite: commit batches made by the pure core
 * (`createOp`, `step`, `buildBatch`) exactly as the store makes them, plus a snapshot of what a
 * backend holds, so a test can prove that a refused commit changed nothing.
 */
import assert from 'node:assert/strict';
import { SkeinError, type ErrorCode } from '../errors.js';
import { createOp, emptyThread, foldOps, step } from '../model/apply.js';
import { newThreadId } from '../model/ids.js';
import type { CreateFields, Delta, Message, Op, ResourceUsage, ThreadHead, ThreadID } from '../model/types.js';
import type { CommitBatch, Fence, StorageBackend } from '../store/backend.js';
import { backendLookup, buildBatch } from '../store/batch.js';
import { messageOf } from '../store/view.js';

/** How a group of contract tests registers one test: it gets a fresh backend, torn down after. */
export type ContractTest = (title: string, fn: (backend: StorageBackend) => Promise<void>) => void;

/** What `StorageBackend.rewrite` takes. */
export type RewriteChange = Parameters<StorageBackend['rewrite']>[0];

/** The fixed clock of the suite (backends never read the time themselves). */
export const T0 = Date.UTC(2024, 0, 1, 12);
/** The client id stamped on the suite's ops. */
export const CLIENT = 'contract';
/** The highest version, for "all ops" / "all messages" queries. */
export const ALL = Number.MAX_SAFE_INTEGER;

/** A user message delta. */
export function user(content: string, extra: Record<string, unknown> = {}): Delta {
  return { type: 'user:message', message: { content, ...extra } };
}

/** An assistant message delta, optionally with usage and a timestamp. */
export function assistant(content: string, usage?: ResourceUsage, timestamp?: number): Delta {
  return {
    type: 'assistant:message',
    message: { content, ...(usage && { resourceUsage: usage }), ...(timestamp !== undefined && { timestamp }) },
  };
}

/** The commit that creates a thread (v1 `thread:create`, then `deltas`), not yet committed. */
export async function createBatch(backend: StorageBackend, fields: CreateFields = {}, deltas: Delta[] = [], now = T0): Promise<CommitBatch> {
  const id = newThreadId();
  const op0 = createOp(id, fields, { clientId: CLIENT, now });
  const { messages: _m, ...empty } = emptyThread(id);
  const head0: ThreadHead = { ...step(empty, op0).core, messageCount: 0, updated: now };
  const { batch } = await buildBatch(head0, deltas, { clientId: CLIENT, now, lookup: backendLookup(backend, head0) });
  return { ...batch, baseVersion: 0, ops: [op0, ...batch.ops] };
}

/** The commit that appends `deltas` to a stored thread, made on its stored head. */
export async function appendBatch(
  backend: StorageBackend,
  id: ThreadID,
  deltas: Delta[],
  opts: { now?: number; fence?: Fence } = {},
): Promise<CommitBatch> {
  const head = await backend.getHead(id);
  if (!head) throw new Error(`contract fixture: thread ${id} is not stored`);
  const now = opts.now ?? head.updated + 1;
  const { batch } = await buildBatch(head, deltas, { clientId: CLIENT, now, lookup: backendLookup(backend, head), ...(opts.fence && { fence: opts.fence }) });
  return batch;
}

/** Creates and commits a thread; returns its id and ops. */
export async function seedThread(backend: StorageBackend, deltas: Delta[] = [], fields: CreateFields = {}, now = T0): Promise<{ id: ThreadID; ops: Op[] }> {
  const batch = await createBatch(backend, fields, deltas, now);
  await backend.commit([batch], now);
  return { id: batch.threadId, ops: batch.ops };
}

/** Appends and commits; returns the new ops. */
export async function appendOps(backend: StorageBackend, id: ThreadID, deltas: Delta[], opts: { now?: number; fence?: Fence } = {}): Promise<Op[]> {
  const batch = await appendBatch(backend, id, deltas, opts);
  await backend.commit([batch], opts.now ?? batch.head.updated);
  return batch.ops;
}

/** The visible messages a thread's ops fold to: what the backend must list. */
export function visibleMessages(id: ThreadID, ops: Op[]): Message[] {
  return foldOps(id, ops).messages;
}

/** Every message row a thread's ops make, hidden or not: what a rebuilt view holds. */
export function viewRows(id: ThreadID, ops: Op[]): { message: Message; hidden: boolean }[] {
  const visible = new Set(visibleMessages(id, ops).map((m) => m.id));
  return ops.flatMap((op) => {
    const message = messageOf(op);
    return message ? [{ message, hidden: !visible.has(message.id) }] : [];
  });
}

/**
 * A sync rebase of a stored thread: keep its ops up to `keepVersion`, then `deltas` made on the
 * thread as it stood there; the whole view is rebuilt from the result.
 */
export async function rewriteChange(
  backend: StorageBackend,
  id: ThreadID,
  keepVersion: number,
  deltas: Delta[],
  opts: { now?: number; fence?: Fence } = {},
): Promise<RewriteChange> {
  const stored = await backend.getHead(id);
  if (!stored) throw new Error(`contract fixture: thread ${id} is not stored`);
  const now = opts.now ?? stored.updated + 1;
  const kept = await backend.ops(id, 0, keepVersion);
  const { messages, ...core } = foldOps(id, kept);
  const head: ThreadHead = { ...core, messageCount: messages.length, updated: now };
  const lookup = {
    at: async (i: number) => messages[i],
    indexOf: async (mid: string) => {
      const i = messages.findIndex((m) => m.id === mid);
      return i < 0 ? undefined : i;
    },
  };
  const { batch } = await buildBatch(head, deltas, { clientId: CLIENT, now, lookup });
  const all = [...kept, ...batch.ops];
  return {
    threadId: id,
    baseVersion: stored.v,
    keepVersion,
    ops: batch.ops,
    head: batch.head,
    rows: viewRows(id, all),
    ...(opts.fence && { fence: opts.fence }),
  };
}

/** Everything a backend holds about these threads, for before/after comparisons. */
export async function snapshot(backend: StorageBackend, ids: ThreadID[]): Promise<unknown> {
  const threads = [];
  for (const id of ids) {
    threads.push({
      id,
      head: (await backend.getHead(id)) ?? null,
      ops: await backend.ops(id, 0, ALL),
      messages: await backend.messagesAfter(id, undefined, ALL),
      links: await backend.threadLinks(id),
      meta: await backend.threadMeta(id),
      usage: await backend.usage([id], 'all'),
    });
  }
  const listed = (await backend.listThreads({ limit: 1000, snapshot: await backend.maxSeq() })).map((l) => [l.head.id, l.activity]);
  const log = (await backend.opsSince(0, 1_000_000)).map((x) => [x.seq, x.op.threadId, x.op.opId]);
  return { threads, listed, log };
}

/** Asserts that `p` rejects with a `SkeinError` of this code. */
export async function rejectsWithCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SkeinError, `expected a SkeinError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}
