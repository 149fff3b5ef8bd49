/**
 * The thread map's links beyond sub-agents and summaries: `handoff` (a thread that continues this
 * one), `fork` (a copy of this one up to a message) and `mention` (a message of another thread
 * that names this one). Each is a set member, merged as a union like child and summary links.
 */
import { compareKeys } from './order-key.js';
import type { ThreadID } from './ids.js';

/** The kinds of thread-map link a thread keeps. */
export type LinkRel = 'handoff' | 'fork' | 'mention';

/** One thread-map link: the other thread and, for `fork` and `mention`, the message it concerns. */
export interface ThreadLink {
  rel: LinkRel;
  threadId: ThreadID;
  /** `fork`: the last message copied; `mention`: the message (of `threadId`) that names this thread. */
  messageId?: string;
}

function linkKey(l: ThreadLink): string {
  return `${l.rel} ${l.threadId} ${l.messageId ?? ''}`;
}

/** A set of links, deduplicated and in one canonical order, so that equal sets compare equal. */
export function unionLinks(a: readonly ThreadLink[] | undefined, b: readonly ThreadLink[] | undefined): ThreadLink[] {
  const byKey = new Map<string, ThreadLink>();
  for (const l of [...(a ?? []), ...(b ?? [])]) byKey.set(linkKey(l), l);
  return [...byKey.entries()].sort(([x], [y]) => compareKeys(x, y)).map(([, l]) => l);
}

/** True when `list` holds this link. */
export function hasLink(list: readonly ThreadLink[] | undefined, l: ThreadLink): boolean {
  const k = linkKey(l);
  return (list ?? []).some((x) => linkKey(x) === k);
}

// Thread ids are lower-case; one glued to other word characters is not a mention.
const MENTION_RE = /(?<![A-Za-z0-9_-])@?(T-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_-])/g;

/** The `T-<uuid>` thread ids a message's text names (with or without a leading `@`), each once. */
export function mentionedThreadIds(text: string): ThreadID[] {
  if (!text.includes('T-')) return [];
  const out = new Set<ThreadID>();
  for (const m of text.matchAll(MENTION_RE)) out.add(m[1] as ThreadID);
  return [...out];
}
