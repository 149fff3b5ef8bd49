import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLineBatches, type Line } from '../../src/import/line-reader.js';

/** The lines of `bytes` one by one, as a reader must answer them. */
function expected(bytes: Buffer, start: number, startLine: number): Omit<Line, 'bytes'>[] {
  const out: Omit<Line, 'bytes'>[] = [];
  let from = start;
  let line = startLine;
  while (from < bytes.length) {
    const nl = bytes.indexOf(10, from);
    const end = nl < 0 ? bytes.length : nl;
    const buf = bytes.subarray(from, end);
    line++;
    let text: string | undefined;
    if (buf.includes(0)) text = undefined;
    else {
      const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      try {
        text = decoded.decode(buf).replace(/^\uFEFF/, '').replace(/\r$/, '');
      } catch {
        text = undefined;
      }
    }
    const skip = buf.length === 0 || (buf.length === 1 && buf[0] === 13);
    if (!skip) out.push({ text, line, end: nl < 0 ? end : end + 1, terminated: nl >= 0 });
    from = end + 1;
  }
  return out;
}

async function read(path: string, start: number, startLine: number): Promise<Omit<Line, 'bytes'>[]> {
  const out: Omit<Line, 'bytes'>[] = [];
  for await (const batch of readLineBatches(path, start, startLine)) for (const { bytes: _b, ...l } of batch) out.push(l);
  return out;
}

describe('line reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-lines-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every line of a file of several read chunks exactly as read one by one (multi-byte text across chunk ends, BOM, CRLF, empty, binary and invalid lines)', async () => {
    const parts: Buffer[] = [Buffer.from('\uFEFF{"first":true}\r\n')];
    const kinds = ['ascii', 'multibyte', 'crlf', 'empty', 'cr', 'bom'];
    for (let i = 0; parts.reduce((n, p) => n + p.length, 0) < 3.5 * 1024 * 1024; i++) {
      // a long line (40 kB and more) now and then, so that lines straddle the chunk ends in many
      // ways; a bad line rarely, so that most chunks are clean text and some are not
      const k = i % 50 === 49 ? 'long' : i === 3000 ? 'nul' : i === 9001 ? 'invalid' : kinds[i % kinds.length];
      if (k === 'ascii') parts.push(Buffer.from(`{"i":${i},"t":"${'x'.repeat(i % 300)}"}\n`));
      else if (k === 'multibyte') parts.push(Buffer.from(`{"i":${i},"t":"${'é中😀'.repeat(1 + (i % 97))}"}\n`));
      else if (k === 'crlf') parts.push(Buffer.from(`{"i":${i}}\r\n`));
      else if (k === 'empty') parts.push(Buffer.from('\n'));
      else if (k === 'cr') parts.push(Buffer.from('\r\n'));
      else if (k === 'nul') parts.push(Buffer.from(`{"i":${i}}\u0000\n`));
      else if (k === 'invalid') parts.push(Buffer.concat([Buffer.from(`{"i":${i},"t":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
      else if (k === 'bom') parts.push(Buffer.from(`\uFEFF{"i":${i}}\n`));
      else parts.push(Buffer.from(`{"i":${i},"t":"${'ü'.repeat(20_000 + (i % 7919))}"}\n`));
    }
    parts.push(Buffer.from('{"last":"no newline é'));
    const bytes = Buffer.concat(parts);
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, bytes);
    const want = expected(bytes, 0, 0);
    assert.ok(want.some((l) => l.text === undefined) && want.length > 1000);
    assert.deepEqual(await read(file, 0, 0), want);
    // resumed from the offset after some line in the middle, as an import of a grown file does
    const mid = want[Math.floor(want.length / 2)]!;
    assert.deepEqual(await read(file, mid.end, mid.line), expected(bytes, mid.end, mid.line));
  });
});
