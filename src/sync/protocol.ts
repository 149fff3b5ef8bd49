/**
 * The sync wire protocol (DESIGN section 5), version 1: push, pull, events. Messages are tagged
 * by `type` and carry `protocol`; requests are validated with zod at the server boundary and
 * responses at the client boundary.
 */
import { constants, type BrotliOptions } from 'node:zlib';
import { z } from 'zod';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';
import { isThreadId, type ThreadID } from '../model/ids.js';
import { parseOp } from '../model/schema.js';
import type { Op } from '../model/types.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;

/** One thread's ops in a push: the version both sides last agreed on, and the ops after it. */
export interface PushThread {
  id: ThreadID;
  baseVersion: number;
  ops: Op[];
}

/** An op to push as its JSON text (read from the local store as it is), with its version. */
export interface OpText {
  v: number;
  text: string;
}

/** A request body already serialized: sent as it is. */
export class EncodedJson {
  constructor(readonly text: string) {}
}

/** The JSON of a push request whose threads carry their ops as texts (the same bytes as JSON.stringify of the request). */
export function pushRequestText(clientId: string, threads: readonly { id: ThreadID; baseVersion: number; ops: readonly OpText[] }[]): EncodedJson {
  const parts = threads.map((t) => `{"id":${JSON.stringify(t.id)},"baseVersion":${t.baseVersion},"ops":[${t.ops.map((o) => o.text).join(',')}]}`);
  return new EncodedJson(`{"type":"push","protocol":${PROTOCOL_VERSION},"clientId":${JSON.stringify(clientId)},"threads":[${parts.join(',')}]}`);
}

/** `POST /v1/sync/push`. */
export interface PushRequest {
  type: 'push';
  protocol: typeof PROTOCOL_VERSION;
  clientId: string;
  threads: PushThread[];
}

/** The server's answer for one pushed thread. */
export type PushResult =
  | { id: ThreadID; status: 'ok'; v: number }
  | { id: ThreadID; status: 'conflict'; v: number; ops: Op[] }
  | { id: ThreadID; status: 'rejected'; code: string; message: string };

/** The answer to a push. */
export interface PushResponse {
  type: 'push:result';
  protocol: typeof PROTOCOL_VERSION;
  threads: PushResult[];
  /**
   * Present when the push named its client's pull cursor (header {@link PULL_CURSOR_HEADER}) and
   * every op the server holds after that cursor is one this push stored: the client's cursor may
   * move here and a pull would bring nothing, so it can be left out.
   */
  cursor?: number;
}

/**
 * Brotli settings for large sync bodies, both ways (Content-Encoding `br`, beside gzip): on op
 * JSON, quality 4 with a 256 KiB window gives fewer bytes than gzip level 6 for about half its CPU.
 */
export function brotliOptions(size: number): BrotliOptions {
  return { chunkSize: packChunk(size), params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_LGWIN]: 18, [constants.BROTLI_PARAM_SIZE_HINT]: size } };
}

/**
 * The output chunk for (un)packing a body of about `expected` bytes out in the thread pool: each
 * chunk is a hop to the main thread and back, and with zlib's 16 KiB a 4 MiB page took about
 * twice the CPU to unpack. From 16 KiB to 1 MiB, so that a small body allocates little.
 */
export function packChunk(expected: number): number {
  return Math.min(1024 * 1024, Math.max(16 * 1024, Math.ceil(expected)));
}

/**
 * The codings a server reads in request bodies, named in its answers' `Accept-Encoding` header
 * (RFC 7694): a client sends `br` only to a server that said so, and gzip otherwise.
 */
export const REQUEST_CODINGS = 'br, gzip';

/** The request header of a push that names the client's pull cursor (servers that do not know it ignore it). */
export const PULL_CURSOR_HEADER = 'skein-pull-cursor';

/** One thread's ops in a pull. */
export interface PullChange {
  id: ThreadID;
  fromVersion: number;
  toVersion: number;
  ops: Op[];
}

/** `GET /v1/sync/pull?cursor=C&limit=N`. `cursor` is the server's global op sequence. */
export interface PullResponse {
  type: 'pull:result';
  protocol: typeof PROTOCOL_VERSION;
  cursor: number;
  changes: PullChange[];
  hasMore: boolean;
}

/** An event on `GET /v1/events`: a thread changed (or, on connect, the workspace moved on); the client pulls. */
export interface Poke {
  type: 'poke';
  id?: ThreadID;
  v?: number;
  cursor: number;
}

/** Most threads in one push (DESIGN: batches of at most 50 threads). */
export const MAX_PUSH_THREADS = 50;
/** Most ops per thread in one push. */
export const MAX_PUSH_OPS = 5000;

const threadId = z.custom<ThreadID>(isThreadId, { message: 'must be a thread id' });
const pushThread = z.strictObject({
  id: threadId,
  baseVersion: z.number().int().nonnegative(),
  ops: z.array(z.unknown()).max(MAX_PUSH_OPS),
});
const pushRequest = z.strictObject({
  type: z.literal('push').optional(),
  protocol: z.literal(PROTOCOL_VERSION).optional(),
  clientId: z.string().min(1).max(64),
  threads: z.array(pushThread).max(MAX_PUSH_THREADS),
});

/** A push request's envelope, validated; each thread's ops are left for `parsePushOps`. */
export function parsePushRequest(value: unknown): { clientId: string; threads: { id: ThreadID; baseVersion: number; ops: unknown[] }[] } {
  const r = pushRequest.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(issue.path.map(String).join('.') || 'body', issue.message);
  }
  return r.data;
}

/** Validates one pushed thread's ops: each a complete op of that thread, versions consecutive from the base. */
export function parsePushOps(t: { id: ThreadID; baseVersion: number; ops: unknown[] }): Op[] {
  return t.ops.map((raw, i) => {
    const op = parseOp(raw, `ops.${i}`);
    if (op.threadId !== t.id) throw new ValidationError(`ops.${i}.threadId`, `belongs to ${op.threadId}, not ${t.id}`);
    if (op.v !== t.baseVersion + i + 1) throw new ValidationError(`ops.${i}.v`, `must be ${t.baseVersion + i + 1}`);
    return op;
  });
}

const count = z.number().int().nonnegative();
const opList = z.array(z.unknown());
const pushResponse = z.object({
  type: z.literal('push:result'),
  protocol: z.literal(PROTOCOL_VERSION),
  threads: z.array(
    z.discriminatedUnion('status', [
      z.object({ id: threadId, status: z.literal('ok'), v: count }),
      z.object({ id: threadId, status: z.literal('conflict'), v: count, ops: opList }),
      z.object({ id: threadId, status: z.literal('rejected'), code: z.string(), message: z.string() }),
    ]),
  ),
  cursor: count.optional(),
});
const threadOps = z.object({ id: threadId, fromVersion: count, toVersion: count, ops: opList });
const pullResponse = z.object({
  type: z.literal('pull:result'),
  protocol: z.literal(PROTOCOL_VERSION),
  cursor: count,
  changes: z.array(threadOps),
  hasMore: z.boolean(),
});
const poke = z.object({ type: z.literal('poke'), id: threadId.optional(), v: count.optional(), cursor: count });

/**
 * Checks a server answer against its schema: a malformed one is the server's fault (SERVER,
 * retried later), never a reason to set the pushed threads aside.
 */
function answer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new SkeinError(ErrorCode.SERVER, `the server's answer is not ${what}: ${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The common push answer (every thread `ok`, nothing more than the schema names) checked by a
 * direct walk; undefined for anything else, which the schema then takes. It runs on every push a
 * device makes, where the schema cost about as much as the rest of reading the answer.
 */
export function plainPushResponse(v: unknown): PushResponse | undefined {
  if (!isPlainObject(v) || v.type !== 'push:result' || v.protocol !== PROTOCOL_VERSION || !Array.isArray(v.threads)) return undefined;
  for (const k of Object.keys(v)) if (k !== 'type' && k !== 'protocol' && k !== 'threads' && k !== 'cursor') return undefined;
  if (v.cursor !== undefined && !isCount(v.cursor)) return undefined;
  for (const t of v.threads as unknown[]) {
    if (!isPlainObject(t) || t.status !== 'ok' || !isThreadId(t.id) || !isCount(t.v) || Object.keys(t).length !== 3) return undefined;
  }
  return v as unknown as PushResponse;
}

/** Client side: validates a push response (each conflict's ops as complete ops). */
export function parsePushResponse(value: unknown): PushResponse {
  const plain = plainPushResponse(value);
  if (plain) return plain;
  const v = answer(pushResponse, value, 'a push result');
  for (const t of v.threads) if (t.status === 'conflict') t.ops = t.ops.map((op, i) => parseOp(op, `threads.${t.id}.ops.${i}`));
  return v as PushResponse;
}

/**
 * Client side: the per-thread answer carried by a failed push (a 5xx whose body is still a push
 * result, because some threads failed on the server and others were stored), or undefined.
 */
export function partialPushResult(err: unknown): PushResponse | undefined {
  const details = (err as { details?: { status?: unknown; body?: unknown } } | undefined)?.details;
  if (typeof details?.status !== 'number' || details.status < 500) return undefined;
  const body = details.body as { type?: unknown } | undefined;
  if (body?.type !== 'push:result') return undefined;
  try {
    return parsePushResponse(body);
  } catch {
    return undefined;
  }
}

/** Client side: validates a pull response (each change's ops as complete ops). */
export function parsePullResponse(value: unknown): PullResponse {
  const v = answer(pullResponse, value, 'a pull result');
  for (const c of v.changes) c.ops = c.ops.map((op, i) => parseOp(op, `changes.${c.id}.ops.${i}`));
  return v as PullResponse;
}

/** Client side: validates the answer of `GET /v1/threads/:id?sinceVersion=`. */
export function parseThreadOpsResponse(value: unknown): PullChange {
  const v = answer(threadOps, value, 'a thread\'s ops');
  return { ...v, ops: v.ops.map((op, i) => parseOp(op, `ops.${i}`)) };
}

/** Client side: validates a poke from `/v1/events`. */
export function parsePoke(value: unknown): Poke {
  return answer(poke, value, 'a poke') as Poke;
}
