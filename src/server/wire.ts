/**
 * Request and answer bodies of the server's JSON routes, for the app and for the direct push path
 * (push-listener.ts) alike: a body read with its size limit (`BodyChunks`) and one gzip or brotli
 * layer, and answers packed with their length (`packAnswer`): gzipped in one call when small,
 * compressed in one thread-pool call when large. Every JSON answer names the codings a request
 * body may have (`Accept-Encoding: br, gzip`).
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, brotliDecompressSync, gunzip, gunzipSync, gzip as gzipCb, gzipSync, type ZlibOptions } from 'node:zlib';
import type { Context } from 'hono';
import { SkeinError, ErrorCode, ValidationError, tooLarge } from '../errors.js';
import { brotliOptions, packChunk, REQUEST_CODINGS } from '../sync/protocol.js';

/** Answers under this many bytes are sent as they are. */
export const GZIP_MIN_BYTES = 1024;
/** Answers up to this many bytes are compressed here; larger ones by the `compress` middleware. */
export const SYNC_GZIP_MAX_BYTES = 64 * 1024;

/** A JSON answer with its length, so that `compress` can leave small ones as they are. */
export function json(c: Context, value: unknown, status: 200 | 503 = 200, headers: Record<string, string> = {}): Response {
  return jsonText(c, JSON.stringify(value), status, headers);
}

const gzipAsync = promisify(gzipCb);
const brotliAsync = promisify(brotliCompress);
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const unbrotliAsync = promisify<Buffer, ZlibOptions, Buffer>(brotliDecompress);

/** A JSON answer ready to send: its bytes and its headers (type, length, coding, and the codings a request body may have). */
export interface PackedAnswer {
  body: Buffer<ArrayBuffer>;
  headers: Record<string, string>;
}

/**
 * A JSON answer of up to 64 KiB: one of 1 KiB or more for a client that takes gzip is compressed
 * here, in one call (a compression stream per answer costs more than the compression itself);
 * anything else is left as it is.
 */
function packSmall(raw: Buffer<ArrayBuffer>, accept: string | undefined, headers: Record<string, string>): PackedAnswer {
  const type = { ...headers, 'content-type': 'application/json', 'accept-encoding': REQUEST_CODINGS };
  if (raw.length >= GZIP_MIN_BYTES && raw.length <= SYNC_GZIP_MAX_BYTES && accepts(accept, 'gzip')) {
    const zipped = gzipSync(raw);
    return { body: zipped, headers: { ...type, 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'content-length': String(zipped.length) } };
  }
  return { body: raw, headers: { ...type, 'content-length': String(raw.length) } };
}

/**
 * A JSON text packed as the answer for a client whose Accept-Encoding is `accept`, whatever its
 * size: up to 64 KiB as `packSmall` does; a larger one, held whole anyway (a pull page, bounded
 * by its bytes; a push answer), compressed in one call in the thread pool, where a compression
 * stream would hop there and back per chunk. Brotli when the client takes it (as skein's client
 * does): fewer bytes than gzip for about half the CPU (see `brotliOptions`); gzip for others.
 */
export async function packAnswer(text: string, accept: string | undefined, headers: Record<string, string> = {}): Promise<PackedAnswer> {
  const raw = Buffer.from(text);
  const coding = raw.length <= SYNC_GZIP_MAX_BYTES ? undefined : accepts(accept, 'br') ? 'br' : accepts(accept, 'gzip') ? 'gzip' : undefined;
  if (!coding) return packSmall(raw, accept, headers);
  const zipped = coding === 'br' ? await brotliAsync(raw, brotliOptions(raw.length)) : await gzipAsync(raw, { chunkSize: packChunk(raw.length) });
  return {
    body: zipped,
    headers: { ...headers, 'content-type': 'application/json', 'content-encoding': coding, vary: 'Accept-Encoding', 'content-length': String(zipped.length), 'accept-encoding': REQUEST_CODINGS },
  };
}

/** A JSON text as the app's answer: up to 64 KiB packed here (`packSmall`); a larger one is left to `compress`, which streams it through the thread pool. */
export function jsonText(c: Context, text: string, status: 200 | 503 = 200, headers: Record<string, string> = {}): Response {
  const a = packSmall(Buffer.from(text), c.req.header('accept-encoding'), headers);
  return c.body(a.body, status, a.headers);
}

/** Request bodies larger than this (as sent) are unpacked in the thread pool, off the event loop. */
const UNPACK_ASYNC_OVER = 64 * 1024;

/** A request body unpacked from its coding, at most `max` bytes after it (ERR_BUFFER_TOO_LARGE past that: what stops a bomb). */
function unpack(bytes: Buffer, coding: 'gzip' | 'br', max: number): Buffer | Promise<Buffer> {
  if (bytes.length <= UNPACK_ASYNC_OVER) {
    const options = { maxOutputLength: max };
    return coding === 'gzip' ? gunzipSync(bytes, options) : brotliDecompressSync(bytes, options);
  }
  const options = { maxOutputLength: max, chunkSize: packChunk(Math.min(8 * bytes.length, max)) };
  return coding === 'gzip' ? gunzipAsync(bytes, options) : unbrotliAsync(bytes, options);
}

/** A large JSON text held whole (a pull page) as the app's answer, compressed in one call (`packAnswer`). */
export async function largeJsonText(c: Context, text: string): Promise<Response> {
  const a = await packAnswer(text, c.req.header('accept-encoding'));
  return c.body(a.body, 200, a.headers);
}

/** Whether an Accept-Encoding header takes `coding` (named without `q=0`, or `*` without `q=0`). */
export function accepts(header: string | undefined, coding: 'gzip' | 'br'): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const zero = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
    if (name.trim() === coding) return !zero;
    if (name.trim() === '*') star = !zero;
  }
  return star;
}

/**
 * A request body's chunks as they come, refused (413) past `maxBody` bytes: a declared
 * Content-Length is checked before anything is read, the bytes are counted as they stream in.
 * Shared by the app's reader below and the direct push path (push-listener.ts).
 */
export class BodyChunks {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly maxBody: number,
    contentLength: string | undefined,
  ) {
    if (contentLength !== undefined && (!/^\d+$/.test(contentLength.trim()) || Number(contentLength) > maxBody)) throw tooLarge('the request body', maxBody);
  }

  /** Takes a chunk; throws PAYLOAD_TOO_LARGE once the body is past its limit. */
  add(chunk: Uint8Array): void {
    this.size += chunk.length;
    if (this.size > this.maxBody) throw tooLarge('the request body', this.maxBody);
    this.chunks.push(chunk);
  }

  /** The body read so far, in one buffer. */
  bytes(): Buffer {
    const [only] = this.chunks;
    return this.chunks.length === 1 && Buffer.isBuffer(only) ? only : Buffer.concat(this.chunks);
  }
}

/**
 * The app's request body, at most `maxBody` bytes (413 past that). With a Content-Length it is
 * read in one piece (the adapter's direct path, no web stream); a chunked body is counted as it
 * streams in.
 */
async function readBody(c: Context, maxBody: number): Promise<Buffer> {
  const length = c.req.header('transfer-encoding') === undefined ? c.req.header('content-length') : undefined;
  const body = new BodyChunks(maxBody, length);
  if (length !== undefined) {
    body.add(Buffer.from(await c.req.arrayBuffer()));
    return body.bytes();
  }
  const reader = c.req.raw.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    try {
      body.add(next.value);
    } catch (err) {
      await reader!.cancel().catch(() => undefined);
      throw err;
    }
  }
  return body.bytes();
}

/** The request's JSON body: at most `maxBody` bytes before and after unpacking its gzip or brotli. */
export async function readJson(c: Context, maxBody: number): Promise<unknown> {
  const encoding = bodyEncoding(c.req.header('content-encoding'));
  return decodeJson(await readBody(c, maxBody), encoding, maxBody);
}

/** A request's Content-Encoding: `gzip`, `br` or '' (none); any other coding is refused (415). */
export function bodyEncoding(header: string | undefined): 'gzip' | 'br' | '' {
  const encoding = (header ?? '').trim().toLowerCase();
  // Only one gzip or brotli layer is read; any other coding would be taken for plain bytes, so it is refused.
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'br')
    throw new SkeinError(ErrorCode.VALIDATION, `Content-Encoding ${JSON.stringify(encoding)} is not supported: send gzip, br or no encoding`, {
      details: { status: 415, field: 'content-encoding' },
    });
  return encoding === 'gzip' || encoding === 'br' ? encoding : '';
}

/** A body's bytes as JSON (unpacked first when `encoding` says so, at most `maxBody` bytes unpacked). */
export async function decodeJson(body: Buffer, encoding: 'gzip' | 'br' | '', maxBody: number): Promise<unknown> {
  let bytes = body;
  if (encoding !== '') {
    try {
      bytes = await unpack(bytes, encoding, maxBody);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw tooLarge('the request body (unzipped)', maxBody);
      throw new ValidationError('body', `not valid ${encoding === 'gzip' ? 'gzip' : 'brotli'}`);
    }
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ValidationError('body', 'not valid JSON');
  }
}
