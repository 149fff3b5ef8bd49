/**
 * The client side of the wire: JSON over HTTP with gzip both ways, bearer auth, a timeout, and
 * failures mapped to SkeinError codes (with `Retry-After` kept). Counts the bytes it moves.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, brotliDecompressSync, gunzip, gunzipSync, gzip, type ZlibOptions } from 'node:zlib';
import { createParser } from 'eventsource-parser';
import { SkeinError, ErrorCode, type ErrorCode as Code } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import {
  brotliOptions,
  EncodedJson,
  packChunk,
  parsePoke,
  parsePullResponse,
  parsePushResponse,
  parseThreadOpsResponse,
  PULL_CURSOR_HEADER,
  type Poke,
  type PullChange,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from './protocol.js';
import { parseRetryAfter } from './retry.js';

/** Where the server is and how to reach it. */
export interface RemoteOptions {
  url: string;
  token: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** Codes for a refusal whose body does not name one (a proxy's page, an old server). */
const STATUS_CODE: ReadonlyMap<number, Code> = new Map<number, Code>([
  [400, ErrorCode.VALIDATION],
  [401, ErrorCode.UNAUTHORIZED],
  [403, ErrorCode.FORBIDDEN],
  [404, ErrorCode.NOT_FOUND],
  [409, ErrorCode.VERSION_CONFLICT],
  [413, ErrorCode.PAYLOAD_TOO_LARGE],
]);
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * The code of a refused request: the one the server's body names; a failure of the server or a
 * rate limit (5xx, 429) is SERVER whatever it says, so that it is retried.
 */
function codeOf(status: number, body: unknown): Code {
  if (status >= 500 || status === 429) return ErrorCode.SERVER;
  const named = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (typeof named === 'string' && KNOWN_CODES.has(named)) return named as Code;
  return STATUS_CODE.get(status) ?? ErrorCode.SERVER;
}
const GZIP_OVER = 1024;
/**
 * Bodies up to this size (most pushes: a few ops) go as gzip even to a server that reads brotli:
 * brotli's encoder state, allocated per call, made a 1 KiB push cost 75-145 us of CPU against
 * 55-105 us for gzip, for no fewer bytes. Both run in the thread pool: gzip in one call on the
 * main thread cost only 16-27 us but added 2-3 ms to the live push-to-observe latency.
 */
const GZIP_ONLY_MAX = 16 * 1024;
/** Extra request headers, or a function making them when the request is sent. */
type Headers = Record<string, string> | (() => Record<string, string>);
/** In the thread pool: the main thread goes on (e.g. with the next request) while a large body is compressed. */
const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
/** Answers larger than this (compressed) are unpacked in the thread pool too, beside the main thread's work (e.g. applying the page before). */
const UNPACK_ASYNC_OVER = 64 * 1024;
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const unbrotliAsync = promisify<Buffer, ZlibOptions, Buffer>(brotliDecompress);

/** A response body as sent, unpacked from its Content-Encoding (gzip or br; anything else is taken as it is). */
async function unpack(raw: Buffer, encoding: string | undefined): Promise<Buffer> {
  const large = raw.length > UNPACK_ASYNC_OVER;
  const options = { chunkSize: packChunk(8 * raw.length) };
  if (encoding === 'gzip') return large ? gunzipAsync(raw, options) : gunzipSync(raw);
  if (encoding === 'br') return large ? unbrotliAsync(raw, options) : brotliDecompressSync(raw);
  return raw;
}

/** See the module comment. */
export class SyncHttpClient {
  /** Bytes of request and response bodies as sent (compressed), both ways; HTTP headers not counted. */
  readonly bytes = { sent: 0, received: 0 };
  private readonly base: URL;
  /** Requests in flight, so that `abortAll` can end them. */
  private readonly inFlight = new Set<{ destroy(err?: Error): unknown }>();
  private closed = false;
  /** Whether the server said (in an answer's Accept-Encoding) that it reads brotli request bodies. */
  private serverReadsBrotli = false;

  constructor(private readonly options: RemoteOptions) {
    try {
      this.base = new URL(options.url);
    } catch {
      throw new SkeinError(ErrorCode.VALIDATION, `remote.url: not a URL: ${options.url}`);
    }
    if (typeof options.token !== 'string' || options.token === '') throw new SkeinError(ErrorCode.VALIDATION, 'remote.token: required');
  }

  /** With `gate`, the body is encoded first and the request sent (its headers made by `extra`) once `gate` settles. */
  private async send(method: string, path: string, body?: unknown, extra: Headers = {}, gate?: Promise<unknown>): Promise<{ status: number; headers: IncomingMessage['headers']; json: unknown }> {
    if (this.closed) throw new SkeinError(ErrorCode.NETWORK, 'the store is closing');
    const url = new URL(path, this.base);
    let payload: Buffer | undefined;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, 'accept-encoding': 'br, gzip', accept: 'application/json' };
    if (body !== undefined) {
      payload = Buffer.from(body instanceof EncodedJson ? body.text : JSON.stringify(body));
      headers['content-type'] = 'application/json';
      if (payload.length > GZIP_OVER) {
        const br = this.serverReadsBrotli && payload.length > GZIP_ONLY_MAX;
        payload = br ? await brotliAsync(payload, brotliOptions(payload.length)) : await gzipAsync(payload, { chunkSize: packChunk(payload.length) });
        headers['content-encoding'] = br ? 'br' : 'gzip';
      }
      headers['content-length'] = String(payload.length);
    }
    if (gate) await gate.catch(() => undefined);
    if (this.closed) throw new SkeinError(ErrorCode.NETWORK, 'the store is closing');
    Object.assign(headers, typeof extra === 'function' ? extra() : extra);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, timeout: this.options.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new SkeinError(ErrorCode.NETWORK, `${method} ${url.pathname}: ${err.message}`, { cause: err })));
        res.on('end', async () => {
          let raw: Buffer = Buffer.concat(chunks);
          this.bytes.received += raw.length;
          if (/\bbr\b/i.test(String(res.headers['accept-encoding'] ?? ''))) this.serverReadsBrotli = true;
          try {
            raw = await unpack(raw, res.headers['content-encoding']);
            const json = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
          } catch (err) {
            const code = (res.statusCode ?? 500) >= 500 ? ErrorCode.SERVER : ErrorCode.NETWORK;
            reject(new SkeinError(code, `${method} ${url.pathname}: unreadable response (${res.statusCode})`, { cause: err }));
          }
        });
      });
      this.inFlight.add(req);
      req.on('close', () => this.inFlight.delete(req));
      req.on('timeout', () => req.destroy(new SkeinError(ErrorCode.TIMEOUT, `${method} ${url.pathname}: timed out`)));
      req.on('error', (err) =>
        reject(err instanceof SkeinError ? err : new SkeinError(ErrorCode.NETWORK, `${method} ${url.pathname}: ${err.message}`, { cause: err })),
      );
      if (payload) this.bytes.sent += payload.length;
      req.end(payload);
    });
  }

  private async call(method: string, path: string, body?: unknown, headers?: Headers, gate?: Promise<unknown>): Promise<unknown> {
    const res = await this.send(method, path, body, headers, gate);
    if (res.status >= 200 && res.status < 300) return res.json;
    const err = (res.json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined);
    throw new SkeinError(codeOf(res.status, res.json), `server: ${err?.message ?? `HTTP ${res.status}`}`, {
      details: { status: res.status, ...(retryAfterMs !== undefined && { retryAfterMs }), ...(res.json !== undefined && { body: res.json }) },
    });
  }

  /** Ends every request in flight, and refuses new ones, with a NETWORK error (the store is closing). */
  abortAll(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy(new SkeinError(ErrorCode.NETWORK, 'the store is closing'));
  }

  /**
   * Pushes ops. A 5xx (some thread failed on the server) throws; ops it did store are acknowledged
   * on the retry. With `pullCursor` the answer may carry a `cursor`: nothing else is new. With
   * `gate`, the request is compressed meanwhile and sent once `gate` settles, with the pull cursor
   * read then (so that a push right behind another one sends the cursor its answer moved to).
   */
  async push(req: PushRequest | EncodedJson, pullCursor?: number | (() => number), gate?: Promise<unknown>): Promise<PushResponse> {
    const headers = (): Record<string, string> => {
      const cursor = typeof pullCursor === 'function' ? pullCursor() : pullCursor;
      return cursor === undefined ? {} : { [PULL_CURSOR_HEADER]: String(cursor) };
    };
    return parsePushResponse(await this.call('POST', '/v1/sync/push', req, headers, gate));
  }

  /** Ops after `cursor`, grouped by thread; `excludeClient` leaves out the ops that client wrote (it has them). */
  async pull(cursor: number, limit = 1000, excludeClient?: string): Promise<PullResponse> {
    const exclude = excludeClient === undefined ? '' : `&exclude=${encodeURIComponent(excludeClient)}`;
    return parsePullResponse(await this.call('GET', `/v1/sync/pull?cursor=${cursor}&limit=${limit}${exclude}`));
  }

  /** A GET of a read route (`path` with its query), its answer checked by `parse`. */
  async read<T>(path: string, parse: (value: unknown) => T): Promise<T> {
    return parse(await this.call('GET', path));
  }

  /** One thread's ops after `sinceVersion`. */
  async threadOps(id: ThreadID, sinceVersion: number): Promise<PullChange> {
    return parseThreadOpsResponse(await this.call('GET', `/v1/threads/${encodeURIComponent(id)}?sinceVersion=${sinceVersion}`));
  }

  /**
   * Follows `/v1/events` and calls `onPoke` for each poke, until `signal` aborts or the stream
   * ends (resolves) or fails (rejects).
   */
  events(cursor: number, onPoke: (poke: Poke) => void, signal: AbortSignal): Promise<void> {
    const url = new URL(`/v1/events?cursor=${cursor}`, this.base);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' }, signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new SkeinError(codeOf(res.statusCode ?? 500, undefined), `events: HTTP ${res.statusCode}`));
          return;
        }
        // A real SSE parser: CRLF or LF line ends, multi-line data, comments, id and retry fields.
        const parser = createParser({
          onEvent: (ev) => {
            if (ev.event !== undefined && ev.event !== 'poke') return;
            let poke: Poke;
            try {
              poke = parsePoke(JSON.parse(ev.data));
            } catch {
              return; // a malformed event is ignored; the next pull catches up anyway
            }
            onPoke(poke);
          },
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.bytes.received += Buffer.byteLength(chunk);
          parser.feed(chunk);
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal.aborted ? resolve() : reject(new SkeinError(ErrorCode.NETWORK, `events: ${err.message}`, { cause: err }))));
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(new SkeinError(ErrorCode.NETWORK, `events: ${err.message}`, { cause: err }))));
      req.end();
    });
  }
}
