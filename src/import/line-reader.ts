/**
 * Streams a file's lines from a byte offset, so memory is bounded by the longest line (and one
 * read chunk) rather than the file. Each line comes with its 1-based number and the offset just
 * after it; a last line without its newline is reported as unterminated (a writer may still be
 * writing it).
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** One line of a file. */
export interface Line {
  /** Decoded text, or undefined when the bytes are not text (invalid UTF-8 or NUL bytes). */
  text: string | undefined;
  bytes: number;
  line: number;
  /** Offset just after the line (and its newline). */
  end: number;
  terminated: boolean;
}

function decode(buf: Buffer): string | undefined {
  if (buf.includes(0) || !isUtf8(buf)) return undefined;
  // A leading byte-order mark and a trailing CR are not part of the record.
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const end = buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
  return buf.toString('utf8', start, Math.max(start, end));
}

/** A line decoded with its whole read chunk: the same result as {@link decode} on its bytes. */
function clean(text: string): string {
  const from = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const to = text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
  return from === 0 && to === text.length ? text : text.slice(from, Math.max(from, to));
}

/**
 * Lines of `path` from byte `start` (the line before it being number `startLine`), in batches
 * of one read chunk (1 MiB). A chunk's complete lines are checked and decoded at once (one
 * UTF-8 check and one decode per chunk, not per line); a chunk that is not clean text falls
 * back to line by line, so a bad line is reported alone.
 */
export async function* readLineBatches(path: string, start: number, startLine: number): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let offset = start;
  let line = startLine;
  const stream = createReadStream(path, { start, highWaterMark: 1024 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const out: Line[] = [];
    let from = 0;
    const first = chunk.indexOf(10);
    if (first >= 0 && pendingLen > 0) {
      // The line the previous chunk left unfinished.
      const buf = Buffer.concat([...pending, chunk.subarray(0, first)]);
      pending = [];
      pendingLen = 0;
      offset += buf.length + 1;
      line++;
      if (buf.length > 0 && !(buf.length === 1 && buf[0] === 13)) out.push({ text: decode(buf), bytes: buf.length, line, end: offset, terminated: true });
      from = first + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      const region = chunk.subarray(from, last);
      const texts = region.indexOf(0) < 0 && isUtf8(region) ? region.toString('utf8').split('\n') : undefined;
      for (let k = 0; from <= last; k++) {
        const nl = chunk.indexOf(10, from);
        const len = nl - from;
        offset += len + 1;
        line++;
        if (len > 0 && !(len === 1 && chunk[from] === 13))
          out.push({ text: texts ? clean(texts[k]!) : decode(chunk.subarray(from, nl)), bytes: len, line, end: offset, terminated: true });
        from = nl + 1;
      }
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingLen += chunk.length - from;
    }
    if (out.length > 0) yield out;
  }
  if (pendingLen > 0) {
    const buf = Buffer.concat(pending);
    yield [{ text: decode(buf), bytes: buf.length, line: line + 1, end: offset + buf.length, terminated: false }];
  }
}

/** sha256 of the first `length` bytes of a file (what tells a rewritten file from a grown one). */
export async function headHash(path: string, length: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
  } finally {
    await fh.close();
  }
}

/** How many leading bytes the head hash covers for a file read up to `offset`. */
export function headLength(offset: number): number {
  return Math.min(4096, offset);
}
