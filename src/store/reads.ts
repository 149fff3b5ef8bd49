/**
 * The read side: whole threads (and time travel), heads, pages of messages, the thread list
 * with its snapshot cursor, and op history. Nothing here folds a log but `atVersion` and
 * archived threads; pages are index range scans. The server's read routes run the same code
 * (through a `Store` over the workspace's backend). Arguments arrive validated by the facade.
 */
import { SkeinError, ValidationError, archivedError, notFound } from '../errors.js';
import { foldOps } from '../model/apply.js';
import { withAllLinks } from '../model/bounded-links.js';
import { withAllMeta } from '../model/bounded-meta.js';
import { withAllRanges } from '../model/hidden.js';
import type { ThreadID } from '../model/ids.js';
import { parseCount } from '../model/schema.js';
import type { Message, Op, Thread, ThreadHead } from '../model/types.js';
import type { StorageBackend } from './backend.js';
import type { Located, StoreCore } from './core.js';
import type { ColdStorage } from './ports.js';
import { infoOf, summaryOf, type MessagePage, type ThreadInfo, type ThreadSummary } from './types.js';

/** The largest page `loadPage` and `listThreads` answer. */
export const MAX_PAGE = 1000;

/** What reads need: the tiers and, for archived threads, cold storage. */
export interface ReadContext {
  core: StoreCore;
  cold(): ColdStorage;
}

function encodeCursor(c: { s: number; b: number }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(cursor: unknown): { s: number; b: number } {
  try {
    if (typeof cursor !== 'string') throw new Error('not a string');
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { s: unknown; b: unknown };
    if (Number.isSafeInteger(c.s) && Number.isSafeInteger(c.b)) return c as { s: number; b: number };
  } catch {
    // reported below
  }
  throw new ValidationError('cursor', 'not a cursor returned by listThreads');
}

/** True when the thread sits in the local backend with its ops in cold storage. */
export async function isArchived(ctx: ReadContext, found: Located): Promise<boolean> {
  return found.backend === ctx.core.backend && (await ctx.cold().isEvicted(found.head));
}

/** The thread (at `atVersion` when given), or null; an archived one is read from its entry. */
export async function readThread(ctx: ReadContext, id: ThreadID, atVersion: number | undefined): Promise<Thread | null> {
  const found = await ctx.core.locate(id);
  if (!found) return null;
  const { backend, head } = found;
  if (await isArchived(ctx, found)) {
    const at = parseCount(atVersion ?? head.v, 'atVersion', { max: head.v });
    return foldOps(id, (await ctx.cold().archived(id)).ops.slice(0, at));
  }
  if (atVersion !== undefined) {
    const at = parseCount(atVersion, 'atVersion', { max: head.v });
    return foldOps(id, await backend.ops(id, 0, at));
  }
  const cached = ctx.core.cache.get(id);
  if (cached && cached.v === head.v) return structuredClone(cached);
  const messages = await backend.messagesAfter(id, undefined, Number.MAX_SAFE_INTEGER);
  const { messageCount: _c, updated: _u, ...rest } = await wholeHead(backend, head);
  // The head row keeps the newest hidden ranges only; a whole thread has all of them.
  const whole = head.clock.hiddenBefore === undefined ? rest : withAllRanges(rest, await backend.hiddenRanges(id));
  const thread: Thread = { ...whole, messages };
  ctx.core.remember(thread);
  return structuredClone(thread);
}

/** A stored head with every meta key (the head row keeps the first few only: model/bounded-meta.ts). */
async function withWholeMeta(backend: StorageBackend, head: ThreadHead): Promise<ThreadHead> {
  return head.clock.metaCount === undefined ? head : withAllMeta(head, await backend.threadMeta(head.id));
}

/** A stored head with every link and meta key: the head row keeps the first few of each only (model/bounded-links.ts). */
async function wholeHead(backend: StorageBackend, head: ThreadHead): Promise<ThreadHead> {
  const withLinks = head.clock.linkCounts === undefined ? head : withAllLinks(head, await backend.threadLinks(head.id));
  return withWholeMeta(backend, withLinks);
}

/** A thread's head without messages, every link included, or null. */
export async function readInfo(core: StoreCore, id: ThreadID): Promise<ThreadInfo | null> {
  const found = await core.locate(id);
  return found ? infoOf(await wholeHead(found.backend, found.head)) : null;
}

/** A window of visible messages, oldest first (see `Store.loadPage`). */
export async function readPage(
  ctx: ReadContext,
  id: ThreadID,
  options: { limit?: number; offset?: number; before?: string; after?: string },
): Promise<MessagePage> {
  const limit = parseCount(options.limit ?? 50, 'limit', { min: 1, max: MAX_PAGE });
  const given = [options.offset, options.before, options.after].filter((x) => x !== undefined).length;
  if (given > 1) throw new ValidationError('options', 'give at most one of offset, before and after');
  const found = await ctx.core.mustLocate(id);
  const { backend, head } = found;
  if (await isArchived(ctx, found)) {
    const e = archivedError(id, 'to page through it');
    throw new SkeinError(e.code, `${e.message}, or read it whole with getThread`, { details: e.details });
  }
  const total = head.messageCount;
  let messages: Message[];
  let hasMore: boolean;
  let hasNewer: boolean;
  if (options.before !== undefined || options.after !== undefined) {
    const ref = (options.before ?? options.after)!;
    if (typeof ref !== 'string' || ref === '') throw new ValidationError(options.before !== undefined ? 'before' : 'after', 'must be a message id');
    const at = await backend.findMessage(id, ref);
    if (!at) throw notFound(`message ${ref} in thread ${id}`);
    // One row more than asked says whether the window has a neighbour, without counting.
    if (options.before !== undefined) {
      messages = await backend.messagesBefore(id, at.key, limit + 1, 0);
      hasMore = messages.length > limit;
      messages = messages.slice(0, limit).reverse();
      hasNewer = true;
    } else {
      messages = await backend.messagesAfter(id, at.key, limit + 1);
      hasNewer = messages.length > limit;
      messages = messages.slice(0, limit);
      hasMore = true;
    }
  } else {
    const offset = parseCount(options.offset ?? 0, 'offset');
    messages = (await backend.messagesBefore(id, undefined, limit, offset)).reverse();
    hasMore = offset + messages.length < total;
    hasNewer = offset > 0;
  }
  return { id, v: head.v, ...(head.title !== undefined && { title: head.title }), created: head.created, messages, totalMessages: total, hasMore, hasNewer };
}

/**
 * Threads of the local tier, newest activity first; the cursor pins the order as it stood at
 * the first page, so every thread that existed then is listed exactly once.
 */
export async function listThreads(core: StoreCore, options: { limit?: number; cursor?: string }): Promise<{ threads: ThreadSummary[]; nextCursor?: string }> {
  const limit = parseCount(options.limit ?? 50, 'limit', { min: 1, max: MAX_PAGE });
  const c = options.cursor === undefined ? { s: await core.backend.maxSeq(), b: Number.MAX_SAFE_INTEGER } : decodeCursor(options.cursor);
  const rows = await core.backend.listThreads({ limit: limit + 1, snapshot: c.s, below: c.b });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  // A row shows every meta key (what lists filter on): read beside the head for the few heads that keep only some.
  const heads = await Promise.all(page.map((r) => withWholeMeta(core.backend, r.head)));
  const out: { threads: ThreadSummary[]; nextCursor?: string } = { threads: heads.map(summaryOf) };
  if (rows.length > limit && last) out.nextCursor = encodeCursor({ s: c.s, b: last.activity });
  return out;
}

/** The ops of a thread with fromVersion < v <= toVersion (default: all). */
export async function readHistory(ctx: ReadContext, id: ThreadID, options: { fromVersion?: number; toVersion?: number }): Promise<Op[]> {
  const found = await ctx.core.mustLocate(id);
  const from = parseCount(options.fromVersion ?? 0, 'fromVersion');
  const to = parseCount(options.toVersion ?? found.head.v, 'toVersion');
  if (from > to) throw new ValidationError('fromVersion', `must not be above toVersion (${to})`);
  if (await isArchived(ctx, found)) return (await ctx.cold().archived(id)).ops.filter((op) => op.v > from && op.v <= to);
  return found.backend.ops(id, from, to);
}
