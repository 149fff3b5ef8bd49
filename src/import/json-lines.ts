/**
 * The shared loop of the line-based sources (Claude Code, Codex, skein's own JSONL): resume a
 * file where the last import stopped (or from the start when it was rewritten or truncated),
 * parse each line, report bad ones, hand good ones to the mapper, and write batches together
 * with the read offset so that a crash never skips a line.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SkeinError } from '../errors.js';
import { headHash, headLength, readLineBatches, type Line } from './line-reader.js';
import type { FileProgress } from './state-db.js';
import type { ImportContext, SourceUnit } from './types.js';

/** A mapper of one parsed line. `text` is the line as written (kept verbatim). */
export type LineHandler = (record: Record<string, unknown>, line: Line & { text: string }) => Promise<void> | void;

/** A line's JSON value, or the error that parsing it threw (undefined for a line that is not text). */
function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return err as Error;
  }
}

/**
 * Imports the new lines of one file. `onEnd` runs before the final flush; `prefetch` sees the
 * records of each batch of lines (one read chunk) before they are handled one by one.
 */
export async function importJsonLines(
  unit: SourceUnit,
  ctx: ImportContext,
  handle: LineHandler,
  onEnd?: () => Promise<void>,
  prefetch?: (records: Record<string, unknown>[]) => void,
): Promise<void> {
  const db = ctx.sink.db;
  const known = db.file(unit.path);
  if (known && known.size === unit.size && known.mtime === unit.mtimeMs) return;
  let start = 0;
  let line = 0;
  // The head hash covers at most the first 4 KiB: hashed again only while that length grows, not per batch.
  let head: { length: number; hash: string } | undefined;
  const headOf = async (length: number): Promise<string> => {
    if (head?.length !== length) head = { length, hash: await headHash(unit.path, length) };
    return head.hash;
  };
  if (known && unit.size >= known.offset && known.offset > 0) {
    if ((await headOf(headLength(known.offset))) === known.head) {
      start = known.offset;
      line = known.line;
    }
  }
  const keys = new Set(known?.keys ?? []);
  ctx.sink.touched.clear();
  let offset = start;
  let lines = line;
  const progress = async (): Promise<{ path: string; progress: FileProgress }> => {
    for (const k of ctx.sink.touched) keys.add(k);
    const hash = await headOf(headLength(offset));
    const done = offset >= unit.size;
    return { path: unit.path, progress: { size: done ? unit.size : -1, mtime: done ? unit.mtimeMs : -1, offset, line: lines, head: hash, keys: [...keys] } };
  };
  batches: for await (const batch of readLineBatches(unit.path, start, line)) {
    // Parsed up front so that the mapper can look up what the whole batch needs at once.
    const parsed = batch.map((l) => parse(l.text));
    prefetch?.(parsed.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !(r instanceof Error) && !Array.isArray(r)));
    for (let i = 0; i < batch.length; i++) {
      const l = batch[i]!;
      if (!l.terminated && ctx.live) break batches;
      const record = parsed[i];
      if (l.text === undefined) ctx.skip(unit.path, l.line, 'not text (binary or invalid UTF-8)');
      else if (record instanceof Error) {
        if (!l.terminated) {
          // Possibly still being written: report it, but leave it to be read again.
          ctx.skip(unit.path, l.line, 'truncated last line (no newline, not valid JSON)');
          break batches;
        }
        ctx.skip(unit.path, l.line, `malformed JSON: ${record.message}`);
      } else if (typeof record !== 'object' || record === null || Array.isArray(record)) ctx.skip(unit.path, l.line, 'not a JSON object');
      else {
        ctx.sink.origin = { file: unit.path, line: l.line };
        const pending = handle(record as Record<string, unknown>, l as Line & { text: string });
        if (pending) await pending;
      }
      offset = l.end;
      lines = l.line;
      if (ctx.sink.anyFull()) await ctx.sink.flushAll(await progress());
    }
    ctx.progress(offset - start);
  }
  await onEnd?.();
  await ctx.sink.flushAll(await progress());
  ctx.sink.origin = undefined;
}

/** `path` as a unit list: the file itself, or the files under a folder that `accept` takes, sorted by `order`. */
export async function discoverFiles(path: string, accept: (rel: string, name: string) => boolean, order: (rel: string) => number = () => 0): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const st = await statOrThrow(path);
  if (!st.isDirectory()) return [{ path, size: st.size, mtimeMs: st.mtimeMs }];
  const out: { path: string; size: number; mtimeMs: number; rel: string }[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p, r);
      else if (e.isFile() && accept(r, e.name)) {
        const s = await stat(p).catch(() => undefined);
        if (s) out.push({ path: p, size: s.size, mtimeMs: s.mtimeMs, rel: r });
      }
    }
  };
  await walk(path, '');
  out.sort((a, b) => order(a.rel) - order(b.rel) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out.map(({ rel: _r, ...u }) => u);
}

/** stat, with a missing path as NOT_FOUND and an unreadable one as a clear error. */
export async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SkeinError(ErrorCode.NOT_FOUND, `no such file or folder: ${path}`);
    throw new SkeinError(ErrorCode.VALIDATION, `cannot read ${path}: ${code ?? (err as Error).message}`, { cause: err });
  }
}
