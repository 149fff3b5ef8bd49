/**
 * What a thread page shows, read through the public Store API: the head, a window of messages
 * (the newest page through `loadPage`, older and newer pages by message-id cursors, so a
 * 100,000-message thread never loads whole), or the thread as it was at a past version
 * (`getThread(id, { atVersion })`, paged in memory), its relations and thread map, file changes
 * and usage.
 */
import type { Message, ThreadID } from '../model/types.js';
import type { Store, ThreadInfo } from '../store/store.js';
import type { UsageReport } from '../store/relations.js';
import type { FileChangeRecord } from '../files/record-store.js';
import { SkeinError, ErrorCode } from '../errors.js';
import { hasLink, mentionedThreadIds, threadEdges, type ThreadEdge } from '../model/links.js';
import { isMessageOp } from '../model/op-kinds.js';
import { LruCache } from '../store/lru-cache.js';
import { planMap, type MapNeighbour, type ThreadMap } from './thread-map.js';
import { threadUsage } from './usage-cache.js';

/** Messages per page. */
export const PAGE_SIZE = 50;

/** Which window of messages to read. */
export type WindowSpec = { before: string } | { after: string } | { around: string } | { newest: true };

/** A window of messages, oldest first. */
export interface MessageWindow {
  messages: Message[];
  /** Older messages exist before the window. */
  hasOlder: boolean;
  /** Newer messages exist after the window. */
  hasNewer: boolean;
  totalMessages: number;
  v: number;
}

/** A thread's head and its related threads' heads. */
export interface ThreadView {
  info: ThreadInfo;
  parent?: ThreadInfo | null;
  origin?: ThreadInfo | null;
  children: ThreadInfo[];
  summaries: ThreadInfo[];
  files: FileChangeRecord[];
}

function isArchivedRead(err: unknown): boolean {
  return err instanceof SkeinError && err.code === ErrorCode.ARCHIVED;
}

/** The window `spec` of a list of messages in memory (a past version, or an archived thread). */
export function windowOf(all: Message[], spec: WindowSpec, v: number, limit = PAGE_SIZE): MessageWindow {
  const total = all.length;
  let start: number;
  let end: number;
  const find = (id: string) => {
    const i = all.findIndex((m) => m.id === id);
    if (i < 0) throw new SkeinError(ErrorCode.NOT_FOUND, `message ${id} not found`);
    return i;
  };
  if ('before' in spec) {
    end = find(spec.before);
    start = Math.max(0, end - limit);
  } else if ('after' in spec) {
    start = find(spec.after) + 1;
    end = Math.min(total, start + limit);
  } else if ('around' in spec) {
    const at = find(spec.around);
    start = Math.max(0, at - Math.floor(limit / 2));
    end = Math.min(total, start + limit);
  } else {
    end = total;
    start = Math.max(0, end - limit);
  }
  return { messages: all.slice(start, end), hasOlder: start > 0, hasNewer: end < total, totalMessages: total, v };
}

/** Past versions folded, per store: a few (a long thread's fold is large), for a few minutes. */
const PAST_ENTRIES = 4;
const PAST_TTL_MS = 5 * 60_000;
const pastFolds = new WeakMap<Store, LruCache<string, Message[]>>();

/**
 * The messages of a thread at a past version: `getThread(id, { atVersion })` reads the ops up to
 * it and folds them (edits, hides and truncations before it decide what shows). With the thread's
 * `head`, the fold is remembered under the version and the head's version and time (a sync rebase
 * replaces ops and moves both), so scrolling a past version pages in memory instead of folding
 * the log again for every page.
 */
async function pastMessages(store: Store, id: ThreadID, atVersion: number, head: Pick<ThreadInfo, 'v' | 'updated'> | undefined): Promise<Message[]> {
  let cache = pastFolds.get(store);
  if (!cache) pastFolds.set(store, (cache = new LruCache(PAST_ENTRIES)));
  const key = head && `${id}@${atVersion}/${head.v}/${head.updated}`;
  const hit = key !== undefined ? cache.get(key) : undefined;
  if (hit) return hit;
  const t = await store.getThread(id, { atVersion });
  if (!t) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
  if (key !== undefined) cache.set(key, t.messages, PAST_TTL_MS);
  return t.messages;
}

/**
 * A window of the thread's messages: at `atVersion` (a past version) from the folded thread
 * (remembered, see {@link pastMessages}), else through `loadPage` cursors. An archived thread (no pages) is read whole, once, from its archive.
 */
export async function loadWindow(store: Store, id: ThreadID, spec: WindowSpec, atVersion?: number, head?: Pick<ThreadInfo, 'v' | 'updated'>): Promise<MessageWindow> {
  if (atVersion !== undefined) return windowOf(await pastMessages(store, id, atVersion, head), spec, atVersion);
  try {
    return await pagedWindow(store, id, spec);
  } catch (err) {
    if (!isArchivedRead(err)) throw err;
    const t = await store.getThread(id);
    if (!t) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return windowOf(t.messages, spec, t.v);
  }
}

async function pagedWindow(store: Store, id: ThreadID, spec: WindowSpec): Promise<MessageWindow> {
  if ('before' in spec) {
    const p = await store.loadPage(id, { limit: PAGE_SIZE, before: spec.before });
    return { messages: p.messages, hasOlder: p.hasMore, hasNewer: true, totalMessages: p.totalMessages, v: p.v };
  }
  if ('after' in spec) {
    const p = await store.loadPage(id, { limit: PAGE_SIZE, after: spec.after });
    return { messages: p.messages, hasOlder: true, hasNewer: p.hasNewer, totalMessages: p.totalMessages, v: p.v };
  }
  if ('around' in spec) {
    // Half a page before the message, then the message and what follows it.
    const half = Math.floor(PAGE_SIZE / 2);
    const older = await store.loadPage(id, { limit: half, before: spec.around });
    const last = older.messages.at(-1);
    const rest = last
      ? await store.loadPage(id, { limit: PAGE_SIZE - older.messages.length, after: last.id })
      : await store.loadPage(id, { limit: PAGE_SIZE, offset: Math.max(0, older.totalMessages - PAGE_SIZE) });
    return { messages: [...older.messages, ...rest.messages], hasOlder: older.hasMore, hasNewer: rest.hasNewer, totalMessages: rest.totalMessages, v: rest.v };
  }
  const p = await store.loadPage(id, { limit: PAGE_SIZE });
  return { messages: p.messages, hasOlder: p.hasMore, hasNewer: false, totalMessages: p.totalMessages, v: p.v };
}

/**
 * A thread's usage, and with sub-agents or summaries that of its whole tree. Kept off the thread
 * page's first byte (the page fetches it): the sums are a query over the thread's message rows.
 */
export async function loadUsage(store: Store, info: ThreadInfo): Promise<{ usage: UsageReport; tree?: UsageReport }> {
  const usage = await threadUsage(store, info);
  if (info.childThreadIDs.length + info.summaryThreadIDs.length === 0) return { usage };
  return { usage, tree: await store.usage(info.id, { tree: true }) };
}

async function infos(store: Store, ids: ThreadID[]): Promise<ThreadInfo[]> {
  return (await Promise.all(ids.map((x) => store.info(x)))).filter((t): t is ThreadInfo => t !== null);
}

/** The head, relations and file changes of a thread, or null when this store lacks it. */
export async function loadThreadView(store: Store, id: ThreadID): Promise<ThreadView | null> {
  const info = await store.info(id);
  if (!info) return null;
  const children = await infos(store, info.childThreadIDs);
  const summaries = await infos(store, info.summaryThreadIDs);
  const view: ThreadView = { info, children, summaries, files: [] };
  if (info.mainThreadID) view.parent = await store.info(info.mainThreadID);
  if (info.originThreadID) view.origin = await store.info(info.originThreadID);
  try {
    view.files = await store.files.list(id);
  } catch {
    // An archived thread's records sit in its archive entry; a store without file tracking has none.
  }
  return view;
}

/** Messages read, from each end of a thread, to find the threads it mentions. */
export const MENTION_SCAN = 200;

/**
 * The threads the messages of `info` mention, as `mentions` edges. A mention link is kept by the
 * thread mentioned, so the messages are read: the newest {@link MENTION_SCAN} (a page) and those
 * of its first {@link MENTION_SCAN} ops (by version, an indexed range: a page never reads a long
 * thread whole, nor skips over it with an offset). A name counts only when the named thread holds
 * the link (text that merely looks like an id does not).
 */
async function mentionsOut(store: Store, info: ThreadInfo): Promise<ThreadEdge[]> {
  if (info.messageCount === 0) return [];
  let messages: { id: string; content: string }[];
  try {
    const newest = await store.loadPage(info.id, { limit: MENTION_SCAN });
    const first = newest.hasMore ? (await store.history(info.id, { toVersion: Math.min(info.v, MENTION_SCAN) })).filter(isMessageOp).map((op) => op.message) : [];
    messages = [...first, ...newest.messages];
  } catch (err) {
    if (!isArchivedRead(err)) throw err;
    const all = (await store.getThread(info.id))?.messages ?? [];
    messages = all.length > 2 * MENTION_SCAN ? [...all.slice(0, MENTION_SCAN), ...all.slice(-MENTION_SCAN)] : all;
  }
  const named = new Map<ThreadID, Set<string>>();
  for (const m of messages)
    for (const id of mentionedThreadIds(m.content)) if (id !== info.id) named.set(id, (named.get(id) ?? new Set()).add(m.id));
  const out: ThreadEdge[] = [];
  for (const [id, messageIds] of named) {
    const links = (await store.info(id))?.links;
    for (const messageId of messageIds) if (hasLink(links, { rel: 'mention', threadId: info.id, messageId })) out.push({ rel: 'mentions', threadId: id, messageId });
  }
  return out;
}

/**
 * The thread map of `info`: its edges (head and mentions), the threads `visible` keeps (the
 * server leaves out another user's private threads, ids and all), and the heads of those drawn.
 * `cap`: nodes per side (default the map's; more for the page that lists them).
 */
export async function loadThreadMap(store: Store, info: ThreadInfo, visible: (ids: readonly string[]) => Promise<Set<string>>, cap?: number): Promise<ThreadMap> {
  const edges = [...threadEdges(info), ...(await mentionsOut(store, info))];
  const plan = planMap(info.id, edges, await visible([...new Set(edges.map((e) => e.threadId))]), cap);
  const withInfo = (list: Omit<MapNeighbour, 'info'>[]) => Promise.all(list.map(async (n) => ({ ...n, info: await store.info(n.id) })));
  return { centre: info, sources: await withInfo(plan.sources), targets: await withInfo(plan.targets), moreSources: plan.moreSources, moreTargets: plan.moreTargets };
}
