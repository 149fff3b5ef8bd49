/**
 * One archived thread as bytes: a header line `SKZ1 <sha256 of the body> <uncompressed bytes>`
 * and a gzip body holding the JSON of the thread's head, its whole op log, its file change
 * records and the file contents they point at. Decoding checks the checksum before anything is
 * trusted, so a damaged entry is reported and never restored.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SkeinError, ErrorCode } from '../errors.js';
import type { FileChangeRecord } from '../files/record-store.js';
import type { Op, ThreadHead, ThreadID } from '../model/types.js';

/** What an archive entry holds. */
export interface ArchiveEntry {
  head: ThreadHead;
  /** Versions 1 ... head.v. */
  ops: Op[];
  files: FileChangeRecord[];
  /** Raw file contents by sha256, base64. */
  blobs: { hash: string; data: string }[];
}

const MAGIC = 'SKZ1';

/** The header of an entry, readable without decompressing it. */
export interface ArchiveHeader {
  checksum: string;
  rawBytes: number;
  headerBytes: number;
}

/** Encodes an entry (gzip level 9: archives are written once and read rarely). */
export function encodeEntry(entry: ArchiveEntry): Buffer {
  const json = Buffer.from(JSON.stringify({ format: 1, ...entry }), 'utf8');
  const body = gzipSync(json, { level: 9 });
  const checksum = createHash('sha256').update(body).digest('hex');
  return Buffer.concat([Buffer.from(`${MAGIC} ${checksum} ${json.byteLength}\n`, 'ascii'), body]);
}

function corrupted(id: ThreadID, why: string, cause?: unknown): SkeinError {
  return new SkeinError(ErrorCode.INTERNAL, `the archive entry of thread ${id} is corrupted (${why}); it was not restored`, {
    details: { threadId: id, corrupted: true },
    ...(cause !== undefined && { cause }),
  });
}

/** Reads the header line; INTERNAL (corrupted) when it is not one. */
export function readHeader(id: ThreadID, bytes: Uint8Array): ArchiveHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nl = buf.indexOf(0x0a);
  const m = nl > 0 && nl < 200 ? /^SKZ1 ([0-9a-f]{64}) (\d+)$/.exec(buf.subarray(0, nl).toString('ascii')) : null;
  if (!m) throw corrupted(id, 'bad header');
  return { checksum: m[1]!, rawBytes: Number(m[2]), headerBytes: nl + 1 };
}

/** Decodes and verifies an entry of thread `id`: checksum, then shape and identity. */
export function decodeEntry(id: ThreadID, bytes: Uint8Array): ArchiveEntry {
  const h = readHeader(id, bytes);
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + h.headerBytes, bytes.byteLength - h.headerBytes);
  if (createHash('sha256').update(body).digest('hex') !== h.checksum) throw corrupted(id, 'checksum mismatch');
  let entry: ArchiveEntry & { format?: unknown };
  try {
    entry = JSON.parse(gunzipSync(body).toString('utf8')) as ArchiveEntry & { format?: unknown };
  } catch (err) {
    throw corrupted(id, 'unreadable body', err);
  }
  const ok =
    entry.format === 1 &&
    entry.head?.id === id &&
    Array.isArray(entry.ops) &&
    entry.ops.length === entry.head.v &&
    entry.ops.every((op, i) => op.threadId === id && op.v === i + 1) &&
    Array.isArray(entry.files) &&
    Array.isArray(entry.blobs);
  if (!ok) throw corrupted(id, 'unexpected content');
  const { format: _f, ...rest } = entry;
  return rest;
}
