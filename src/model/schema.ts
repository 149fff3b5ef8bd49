/**
 * The one schema for every value that enters skein (library call, CLI, HTTP, import file).
 * `parseDelta` and friends throw a `ValidationError` naming the offending field.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { isThreadId, type ThreadID } from './ids.js';
import { CLIENT_ID_RE } from './order-key.js';
import { isMessageOp } from './op-kinds.js';
import { isPlainMessageDelta, isPlainMessageOp } from './message-check.js';
import { MAX_DEPTH, MAX_TIMESTAMP, UNSAFE_KEYS, jsonProblem } from './json-check.js';
import type { CreateFields, Delta, Op } from './types.js';

const json = z.unknown().superRefine((v, ctx) => {
  if (v === undefined) return;
  const p = jsonProblem(v, [], 0);
  if (p) ctx.addIssue({ code: 'custom', message: p[1], path: p[0] ? p[0].split('.') : [] });
});

const safeKey = z
  .string()
  .min(1)
  .max(200)
  .refine((k) => !UNSAFE_KEYS.has(k), { message: 'is a reserved name' });

const threadId = z.custom<ThreadID>(isThreadId, { message: 'must be a thread id (T- followed by a UUIDv7)' });
const nonNeg = z.number().finite().nonnegative();
const timestamp = z.number().finite().nonnegative().max(MAX_TIMESTAMP, { message: `must be at most ${MAX_TIMESTAMP} (the latest date JavaScript can hold)` });

const toolCall = z.strictObject({ id: safeKey, name: z.string().min(1).max(500), input: json });
const toolResult = z.strictObject({ toolCallId: safeKey, output: json, isError: z.boolean().optional() });
const usage = z.strictObject({
  model: z.string().min(1).max(200).optional(),
  inputTokens: nonNeg.int().optional(),
  outputTokens: nonNeg.int().optional(),
  cacheReadTokens: nonNeg.int().optional(),
  cacheWriteTokens: nonNeg.int().optional(),
  costUSD: nonNeg.optional(),
});

const messageFields = {
  id: z.string().min(1).max(200).optional(),
  content: z.string().max(50_000_000),
  timestamp: timestamp.optional(),
  toolCalls: z
    .array(toolCall)
    .max(1000)
    .optional()
    .refine((calls) => !calls || new Set(calls.map((c) => c.id)).size === calls.length, {
      message: 'tool call ids must be unique within a message',
    }),
  toolResults: z.array(toolResult).max(1000).optional(),
  resourceUsage: usage.optional(),
};

/** A message as handed in: extra fields are kept, but must be JSON and may not set `key` or `role`. */
const messageInput = z.looseObject(messageFields).superRefine((m, ctx) => {
  for (const k of Object.keys(m)) {
    if (Object.hasOwn(messageFields, k)) continue;
    if (k === 'key' || k === 'role') {
      ctx.addIssue({ code: 'custom', message: `is assigned by the store`, path: [k] });
      continue;
    }
    if (UNSAFE_KEYS.has(k)) {
      ctx.addIssue({ code: 'custom', message: 'is a reserved name', path: [k] });
      continue;
    }
    const p = jsonProblem(m[k], [k], 0);
    if (p) ctx.addIssue({ code: 'custom', message: p[1], path: p[0].split('.') });
  }
});

// Checked on the value as given (a zod object would copy its keys by assignment, and an own
// `__proto__` key would be lost): a JSON object whose `cwd`, when present, is a path.
const environment = z.unknown().superRefine((e, ctx) => {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object' });
    return;
  }
  const cwd = (e as { cwd?: unknown }).cwd;
  if (Object.hasOwn(e, 'cwd') && (typeof cwd !== 'string' || cwd.length < 1 || cwd.length > 4096))
    ctx.addIssue({ code: 'custom', message: 'must be a path of 1 to 4096 characters', path: ['cwd'] });
  const p = jsonProblem(e, [], 0);
  if (p) ctx.addIssue({ code: 'custom', message: p[1], path: p[0] ? p[0].split('.') : [] });
});
/** A meta key: any non-empty string (stored as data, so `constructor` or `__proto__` too). */
const metaKey = z.string().min(1).max(200);
const meta = z.record(metaKey, json);
const title = z.string().max(10_000);
const visibility = z.enum(['private', 'workspace', 'public'], { message: 'must be private, workspace or public' });
/** A share link id: random URL-safe characters, never a thread id. */
const shareId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);

const deltaSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.enum(['user:message', 'assistant:message', 'system:message']), message: messageInput }),
  z.strictObject({ type: z.literal('title'), value: title }),
  z
    .strictObject({
      type: z.literal('thread:truncate'),
      fromIndex: nonNeg.int().optional(),
      fromMessageId: z.string().min(1).optional(),
    })
    .refine((d) => (d.fromIndex === undefined) !== (d.fromMessageId === undefined), {
      message: 'give exactly one of fromIndex and fromMessageId',
    }),
  z.strictObject({ type: z.literal('meta:set'), key: metaKey, value: json }),
  z.strictObject({ type: z.literal('env:set'), env: environment }),
  z.strictObject({ type: z.enum(['child:link', 'summary:link']), threadId }),
  z.strictObject({ type: z.enum(['archive', 'restore']) }),
  z.strictObject({ type: z.literal('visibility:set'), value: visibility }),
  z.strictObject({ type: z.literal('handoff:link'), threadId }),
  z.strictObject({ type: z.enum(['fork:link', 'mention:link']), threadId, messageId: z.string().min(1).max(200) }),
]);

/** The delta type names (the `type`s of `deltaSchema`), for a clear error on an unknown one. */
const DELTA_TYPES: ReadonlySet<string> = new Set([
  'user:message', 'assistant:message', 'system:message', 'title', 'thread:truncate', 'meta:set', 'env:set',
  'child:link', 'summary:link', 'archive', 'restore', 'visibility:set',
  'handoff:link', 'fork:link', 'mention:link',
]);

const createFields = z.strictObject({
  title: title.optional(),
  env: environment.optional(),
  meta: meta.optional(),
  mainThreadID: threadId.optional(),
  originThreadID: threadId.optional(),
  handoffFrom: threadId.optional(),
  forkedFrom: threadId.optional(),
  forkedAt: z.string().min(1).max(200).optional(),
});

const hlc = z.string().regex(/^[0-9a-f]{16}$/);
const orderKey = z.string().regex(/^[0-9a-f]{16}[A-Za-z0-9_.:-]{1,64}(![0-9a-f]{16}[A-Za-z0-9_.:-]{1,64})*$/);
const opHeader = {
  opId: z.string().min(1).max(200),
  threadId,
  v: z.number().int().positive(),
  at: timestamp,
  clientId: z.string().regex(CLIENT_ID_RE),
  hlc,
};
const storedMessage = z.looseObject({
  ...messageFields,
  id: z.string().min(1).max(200),
  timestamp,
  role: z.enum(['user', 'assistant', 'system']),
  key: orderKey,
});
const opSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...opHeader, type: z.literal('thread:create'), created: timestamp, fields: createFields }),
  z.strictObject({
    ...opHeader,
    type: z.enum(['user:message', 'assistant:message', 'system:message']),
    message: storedMessage,
  }),
  z.strictObject({ ...opHeader, type: z.literal('title'), value: title }),
  z.strictObject({
    ...opHeader,
    type: z.literal('thread:truncate'),
    fromIndex: nonNeg.int(),
    fromMessageId: z.string().min(1),
    fromKey: orderKey,
    toKey: orderKey,
  }),
  z.strictObject({ ...opHeader, type: z.literal('meta:set'), key: metaKey, value: json }),
  z.strictObject({ ...opHeader, type: z.literal('env:set'), env: environment }),
  z.strictObject({ ...opHeader, type: z.enum(['child:link', 'summary:link']), linked: threadId }),
  z.strictObject({ ...opHeader, type: z.enum(['archive', 'restore']) }),
  z
    .strictObject({ ...opHeader, type: z.literal('visibility:set'), value: visibility, shareId: shareId.optional() })
    .refine((op) => (op.value === 'public') === (op.shareId !== undefined), { message: 'a public visibility carries a shareId, no other does', path: ['shareId'] }),
  z.strictObject({ ...opHeader, type: z.literal('handoff:link'), linked: threadId }),
  z.strictObject({ ...opHeader, type: z.enum(['fork:link', 'mention:link']), linked: threadId, messageId: z.string().min(1).max(200) }),
]);

/** The fields that hold more of skein's own structure (not a caller's data). */
const STRUCTURE = ['message', 'fields', 'toolCalls', 'toolResults', 'resourceUsage'];

/**
 * The path of an own `__proto__` key in skein's own structure (the delta or op, its message, tool
 * calls, results, usage, creation fields), or undefined. A caller's data below them (tool input
 * and output, meta, env, a message's extra fields' values) is not searched: there it is data.
 */
function protoKeyPath(value: unknown, path: string[], depth: number): string[] | undefined {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = protoKeyPath(value[i], [...path, String(i)], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (Object.hasOwn(value, '__proto__')) return [...path, '__proto__'];
  for (const k of STRUCTURE) {
    if (!Object.hasOwn(value, k)) continue;
    const p = protoKeyPath((value as Record<string, unknown>)[k], [...path, k], depth + 1);
    if (p) return p;
  }
  return undefined;
}

function check<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  // zod copies unknown keys by assignment, so an own `__proto__` key (as JSON.parse makes it) in a
  // loose object of skein's structure would be dropped silently instead of refused: look first.
  const proto = protoKeyPath(value, [], 0);
  if (proto) throw new ValidationError([root, ...proto].filter(Boolean).join('.'), 'is not an allowed key');
  const r = schema.safeParse(value);
  // The schemas only check (no defaults or transforms), so the value is kept as given, key order included.
  if (r.success) return value as T;
  const issue = r.error.issues[0]!;
  const field = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_union' && root && issue.path.length === 0) message = 'unknown or malformed delta';
  throw new ValidationError(field, message);
}

/**
 * Validates a caller's delta (the `type` decides the shape). A message delta of the common shape
 * is checked by a direct walk (`isPlainMessageDelta`, which accepts only what the schema accepts);
 * anything else, and every refusal, goes through the schema, which names the field.
 */
export function parseDelta(value: unknown, root = 'delta'): Delta {
  if (isPlainMessageDelta(value)) return value;
  return parseDeltaBySchema(value, root);
}

/** Validates a delta with the schema alone (what `parseDelta` falls back to). */
export function parseDeltaBySchema(value: unknown, root = 'delta'): Delta {
  if (typeof value === 'object' && value !== null && 'type' in value) {
    const t = (value as { type: unknown }).type;
    if (typeof t !== 'string' || !DELTA_TYPES.has(t)) throw new ValidationError(`${root}.type`, `unknown op type ${JSON.stringify(t)}`);
  }
  return check(deltaSchema, value, root) as Delta;
}

/** Validates a complete op (from the log, the wire or an import file). */
export function parseOp(value: unknown, root = 'op'): Op {
  // The common op, a message, by the direct walk (message-check.ts); anything else by the schema.
  if (isPlainMessageOp(value)) return value;
  return parseOpBySchema(value, root);
}

/** Validates a complete op with the schema alone (what `parseOp` falls back to). */
export function parseOpBySchema(value: unknown, root = 'op'): Op {
  const op = check(opSchema, value, root) as Op;
  // A message op is identified by its message: stores find messages through the op id.
  if (isMessageOp(op) && op.opId !== op.message.id)
    throw new ValidationError(`${root}.opId`, 'a message op must have the id of its message');
  return op;
}

/** Validates the fields a thread is created with. */
export function parseCreateFields(value: unknown, root = 'thread'): CreateFields {
  return check(createFields, value ?? {}, root) as CreateFields;
}

/** Validates a thread id. */
export function parseThreadId(value: unknown, field = 'threadId'): ThreadID {
  if (!isThreadId(value)) throw new ValidationError(field, `not a thread id: ${JSON.stringify(value)}`);
  return value;
}

/** Validates a client id (it becomes part of order keys). */
export function parseClientId(value: unknown, field = 'clientId'): string {
  if (typeof value !== 'string' || !CLIENT_ID_RE.test(value))
    throw new ValidationError(field, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -');
  return value;
}

/** Validates a non-negative integer option such as a version or a page size. */
export function parseCount(value: unknown, field: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `must be an integer from ${min} to ${max}`);
  return value;
}
