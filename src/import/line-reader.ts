/**
 * Streams a file's lines from a byte offset, so memory is bounded by the longest line rather than
 * the file. Each line comes with its 1-based number and the offset just after it; a last line
 * without its newline is reported as unterminated (a writer may still be writing it).
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

/** Lines of `path` from byte `start` (the line before it being number `startLine`). */
export async function* readLines(path: string, start: number, startLine: number): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let offset = start;
  let line = startLine;
  const stream = createReadStream(path, { start, highWaterMark: 256 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      const piece = chunk.subarray(from, nl);
      const buf = pendingLen > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingLen = 0;
      offset += buf.length + 1;
      line++;
      if (buf.length > 0 && !(buf.length === 1 && buf[0] === 13)) yield { text: decode(buf), bytes: buf.length, line, end: offset, terminated: true };
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingLen += chunk.length - from;
    }
  }
  if (pendingLen > 0) {
    const buf = Buffer.concat(pending);
    yield { text: decode(buf), bytes: buf.length, line: line + 1, end: offset + buf.length, terminated: false };
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
