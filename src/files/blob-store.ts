/**
 * Content-addressed file contents: each distinct content is stored once, under the sha256 of its
 * raw bytes, gzip-compressed. Reading checks the hash again, so a damaged blob is reported, never
 * written back into someone's workspace.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { SkeinError, ErrorCode } from '../errors.js';
import type { FileRecordStore, StoredBlob } from './record-store.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The sha256 of bytes, as 64 hex digits: a blob's address. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** See the module comment. */
export class BlobStore {
  constructor(private readonly records: FileRecordStore) {}

  /** The address of `bytes`, and the blob to store when this content is not stored yet. */
  async prepare(bytes: Uint8Array): Promise<{ hash: string; blob?: StoredBlob }> {
    const hash = sha256(bytes);
    if (await this.records.hasBlob(hash)) return { hash };
    return { hash, blob: { hash, size: bytes.byteLength, gzip: await gzipAsync(bytes) } };
  }

  /** Stores `bytes` unless the same content is stored already; returns its hash. */
  async put(bytes: Uint8Array): Promise<string> {
    const { hash, blob } = await this.prepare(bytes);
    if (blob) await this.records.putBlob(blob);
    return hash;
  }

  /** The raw bytes of a blob; INTERNAL when it is missing or does not match its hash. */
  async get(hash: string): Promise<Buffer> {
    const blob = await this.records.getBlob(hash);
    if (!blob) throw new SkeinError(ErrorCode.INTERNAL, `stored content ${hash.slice(0, 12)} is missing`, { details: { hash } });
    let raw: Buffer;
    try {
      raw = await gunzipAsync(blob.gzip);
    } catch (err) {
      throw new SkeinError(ErrorCode.INTERNAL, `stored content ${hash.slice(0, 12)} is corrupted (${(err as Error).message})`, { cause: err, details: { hash } });
    }
    if (sha256(raw) !== hash) throw new SkeinError(ErrorCode.INTERNAL, `stored content ${hash.slice(0, 12)} is corrupted (hash mismatch)`, { details: { hash } });
    return raw;
  }
}
