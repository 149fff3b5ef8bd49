/**
 * Shared by the whole-document sources (OpenCode, Cline, Amp), which rewrite their files in place
 * rather than append: each run re-reads the session and maps only the records whose identity the
 * thread does not hold yet, so a rewritten file is never imported twice.
 */
import { createHash } from 'node:crypto';
import type { MessageInput } from '../model/types.js';
import type { Session } from './sink.js';
import type { ImportContext, SourceUnit } from './types.js';

/** Writes the sessions of a whole-document unit, then notes it as read (so watch mode waits for it to change). */
export async function markRead(unit: SourceUnit, ctx: ImportContext): Promise<void> {
  const known = ctx.sink.db.file(unit.path);
  const keys = new Set([...(known?.keys ?? []), ...ctx.sink.touched]);
  await ctx.sink.flushAll({ path: unit.path, progress: { size: unit.size, mtime: unit.mtimeMs, offset: unit.size, line: 0, head: '', keys: [...keys] } });
  ctx.progress(unit.size);
}

/** A short content hash (for identities of records that have no id). */
export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Maps one record unless the thread already holds it: `make` builds the messages (zero or more,
 * each with its own suffix on the record identity), the record is kept verbatim with the thread.
 */
export function once(
  s: Session,
  rkey: string,
  file: string,
  raw: string,
  make: () => { type: 'user:message' | 'assistant:message' | 'system:message'; message: MessageInput; suffix?: string }[],
): boolean {
  const seen = s.seen(rkey);
  if (seen) {
    if (seen.raw === 0) {
      s.noteRecord(rkey, seen.mid);
      s.raw(file, 0, raw);
    }
    return false;
  }
  let first: string | null = null;
  s.sinkOrigin(file);
  for (const m of make()) {
    const id = s.message(m.type, m.message, m.suffix ? `${rkey}${m.suffix}` : rkey);
    first ??= id;
  }
  if (first === null) s.noteRecord(rkey);
  s.raw(file, 0, raw);
  return true;
}

/** Parses a JSON array even when a crash cut it short: the complete top-level elements, and whether it was cut. */
export function salvageArray(text: string): { items: unknown[]; truncated: boolean } {
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return { items: v, truncated: false };
  } catch {
    // salvaged below
  }
  const items: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 1 && start < 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 1 && start >= 0) {
        try {
          items.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          break;
        }
        start = -1;
      }
    }
  }
  return { items, truncated: true };
}
