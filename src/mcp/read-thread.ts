/**
 * `read_thread` for agents: a window of a thread's messages as plain text (cheaper in tokens than
 * JSON and easy to quote), long tool inputs and outputs trimmed with a marker that says how much
 * was left out. Works on archived threads too (read from cold storage).
 */
import { ErrorCode, SkeinError, type Message, type ThreadID } from '../index.js';
import type { ThreadSource } from './source.js';

/** Which messages to show: the newest N (default), or the range `[from, to)` by index (oldest = 0). */
export interface ReadWindow {
  newest?: number;
  from?: number;
  to?: number;
  /** Tool inputs and outputs longer than this many characters are trimmed (default 2000). */
  maxToolChars?: number;
}

const DEFAULT_NEWEST = 20;
const DEFAULT_TOOL_CHARS = 2000;
/** Most messages one call shows. */
export const MAX_WINDOW = 200;

/** A value as text, trimmed to `max` characters with a marker saying how much was left out. */
export function trimmed(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [trimmed: ${text.length - max} of ${text.length} characters not shown]`;
}

function messageText(m: Message, index: number, maxToolChars: number): string {
  const lines = [`#${index} [${m.role}] ${new Date(m.timestamp).toISOString()} id=${m.id}${m.resourceUsage?.model ? ` model=${m.resourceUsage.model}` : ''}`];
  if (m.content !== '') lines.push(m.content);
  for (const c of m.toolCalls ?? []) lines.push(`→ tool call ${c.name} (${c.id}): ${trimmed(c.input, maxToolChars)}`);
  for (const r of m.toolResults ?? []) lines.push(`← tool result (${r.toolCallId})${r.isError ? ' ERROR' : ''}: ${trimmed(r.output, maxToolChars)}`);
  return lines.join('\n');
}

/** The window as text: a header line, then each message. VALIDATION for a window that makes no sense. */
export async function readThread(store: ThreadSource, id: ThreadID, w: ReadWindow): Promise<string> {
  const maxToolChars = w.maxToolChars ?? DEFAULT_TOOL_CHARS;
  const ranged = w.from !== undefined || w.to !== undefined;
  if (ranged && w.newest !== undefined) throw new SkeinError(ErrorCode.VALIDATION, 'give either newest or from/to, not both');
  const info = await store.info(id);
  if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
  const total = info.messageCount;
  let from: number;
  let to: number;
  if (ranged) {
    from = w.from ?? 0;
    to = Math.min(w.to ?? total, total);
    if (from > to && from < total) throw new SkeinError(ErrorCode.VALIDATION, `from (${from}) must not be above to (${to})`);
  } else {
    to = total;
    from = Math.max(0, total - (w.newest ?? DEFAULT_NEWEST));
  }
  from = Math.min(from, to);
  to = Math.min(to, from + MAX_WINDOW);
  let messages: Message[];
  if (to === from) messages = [];
  else if (info.archived !== undefined) {
    // Archived: pages are refused until restored, but the whole thread reads from its archive entry.
    messages = ((await store.getThread(id))?.messages ?? []).slice(from, to);
  } else messages = (await store.loadPage(id, { limit: to - from, offset: total - to })).messages;
  const header = [
    `thread ${id}${info.title !== undefined ? ` "${info.title}"` : ''} v${info.v}${info.archived !== undefined ? ' (archived)' : ''}`,
    `messages ${from}..${to - 1} of ${total} (index 0 is the oldest)${from > 0 ? `; older: from=${Math.max(0, from - (to - from))} to=${from}` : ''}`,
  ];
  if (info.mainThreadID) header.push(`sub-agent of ${info.mainThreadID}`);
  if (info.originThreadID) header.push(`summary of ${info.originThreadID}`);
  return [header.join('\n'), ...messages.map((m, i) => messageText(m, from + i, maxToolChars))].join('\n\n');
}
