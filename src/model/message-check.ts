/**
 * A direct check of the common delta, a message, for the write path: a walk over the value that
 * allocates nothing, run instead of the zod schema (which costs several times more per append).
 * It answers true only for values the schema accepts as they are; on false the caller runs the
 * schema, which accepts what this check was too strict for and names the field of a bad value.
 * test/model/message-check.test.ts holds the two to agreeing on generated and mutated deltas.
 */
import { isThreadId } from './ids.js';
import { MAX_DEPTH, MAX_TIMESTAMP, UNSAFE_KEYS } from './json-check.js';
import { CLIENT_ID_RE } from './order-key.js';
import type { Delta, Op } from './types.js';

const MESSAGE_TYPES: ReadonlySet<unknown> = new Set(['user:message', 'assistant:message', 'system:message']);
/** Message fields with a shape of their own; any other field is a caller's JSON. */
const OWN_FIELDS: ReadonlySet<string> = new Set(['id', 'content', 'timestamp', 'toolCalls', 'toolResults', 'resourceUsage']);
const USAGE_COUNTS: ReadonlySet<string> = new Set(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens']);

/** An object as JSON.parse makes them (a caller's data may also have a null prototype: see `isPlainJson`). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** The same verdict as `jsonProblem(value) === undefined`, without building paths. */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
    return true;
  }
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!isPlainJson(o[k], depth + 1)) return false;
  return true;
}

const isString = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;
const isSafeKey = (v: unknown): boolean => isString(v, 1, 200) && !UNSAFE_KEYS.has(v as string);
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Only these keys, each own and enumerable; `__proto__` never (it would need the schema's own check). */
function onlyKeys(o: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return false;
  return true;
}

function isToolCalls(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > 1000) return false;
  for (let i = 0; i < v.length; i++) {
    const c: unknown = v[i];
    if (!isPlainObject(c) || !onlyKeys(c, ['id', 'name', 'input'])) return false;
    if (!isSafeKey(c.id) || !isString(c.name, 1, 500)) return false;
    // The schema wants the key present (its value may be undefined).
    if (!Object.hasOwn(c, 'input') || (c.input !== undefined && !isPlainJson(c.input))) return false;
    for (let j = 0; j < i; j++) if ((v[j] as { id: string }).id === c.id) return false;
  }
  return true;
}

function isToolResults(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > 1000) return false;
  for (const r of v as unknown[]) {
    if (!isPlainObject(r) || !onlyKeys(r, ['toolCallId', 'output', 'isError'])) return false;
    if (!isSafeKey(r.toolCallId)) return false;
    if (!Object.hasOwn(r, 'output') || (r.output !== undefined && !isPlainJson(r.output))) return false;
    if (r.isError !== undefined && typeof r.isError !== 'boolean') return false;
  }
  return true;
}

function isUsage(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (k === 'model') {
      if (x !== undefined && !isString(x, 1, 200)) return false;
    } else if (USAGE_COUNTS.has(k)) {
      if (x !== undefined && !isCount(x)) return false;
    } else if (k === 'costUSD') {
      if (x !== undefined && (typeof x !== 'number' || !Number.isFinite(x) || x < 0)) return false;
    } else return false;
  }
  return true;
}

function isOwnField(k: string, x: unknown): boolean {
  switch (k) {
    case 'id':
      return x === undefined || isString(x, 1, 200);
    case 'content':
      return isString(x, 0, 50_000_000);
    case 'timestamp':
      return x === undefined || (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= MAX_TIMESTAMP);
    case 'toolCalls':
      return x === undefined || isToolCalls(x);
    case 'toolResults':
      return x === undefined || isToolResults(x);
    default:
      return x === undefined || isUsage(x);
  }
}

/**
 * True when `value` is a message delta the schema accepts: `{ type, message }` with a message
 * whose own fields have their shapes and whose other fields are plain JSON (not `key`, `role` or
 * a reserved name). False means "ask the schema", not "invalid".
 */
export function isPlainMessageDelta(value: unknown): value is Delta {
  if (!isPlainObject(value) || !MESSAGE_TYPES.has(value.type) || !onlyKeys(value, ['type', 'message'])) return false;
  const m = value.message;
  if (!isPlainObject(m) || typeof m.content !== 'string') return false;
  for (const k of Object.keys(m)) {
    const x = m[k];
    if (OWN_FIELDS.has(k)) {
      if (!isOwnField(k, x)) return false;
      // `message` and `fields` are names of skein's structure, which the schema searches for an own `__proto__`.
    } else if (k === 'key' || k === 'role' || k === 'message' || k === 'fields' || UNSAFE_KEYS.has(k) || !isPlainJson(x)) return false;
  }
  return true;
}

const OP_KEYS: readonly string[] = ['opId', 'threadId', 'v', 'at', 'clientId', 'hlc', 'type', 'message'];
const ROLES: ReadonlySet<unknown> = new Set(['user', 'assistant', 'system']);
const HLC_RE = /^[0-9a-f]{16}$/;
const ORDER_KEY_RE = /^[0-9a-f]{16}[A-Za-z0-9_.:-]{1,64}(![0-9a-f]{16}[A-Za-z0-9_.:-]{1,64})*$/;
const isTimestamp = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= MAX_TIMESTAMP;

/**
 * The same for a complete message op (the sync wire, the log): its header, and a stored message
 * (id equal to the op id, timestamp, role and order key present) whose own fields have their
 * shapes and whose other fields are plain JSON. False means "ask the schema", not "invalid".
 */
export function isPlainMessageOp(value: unknown): value is Op {
  if (!isPlainObject(value) || !MESSAGE_TYPES.has(value.type)) return false;
  const keys = Object.keys(value);
  if (keys.length !== OP_KEYS.length || !onlyKeys(value, OP_KEYS)) return false;
  const { opId, threadId, v, at, clientId, hlc, message: m } = value;
  if (!isString(opId, 1, 200) || !isThreadId(threadId) || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || !isTimestamp(at)) return false;
  if (typeof clientId !== 'string' || !CLIENT_ID_RE.test(clientId) || typeof hlc !== 'string' || !HLC_RE.test(hlc)) return false;
  if (!isPlainObject(m) || typeof m.content !== 'string' || m.id !== opId || !isTimestamp(m.timestamp) || !ROLES.has(m.role)) return false;
  if (typeof m.key !== 'string' || !ORDER_KEY_RE.test(m.key)) return false;
  for (const k of Object.keys(m)) {
    if (OWN_FIELDS.has(k)) {
      if (!isOwnField(k, m[k])) return false;
    } else if (k !== 'role' && k !== 'key' && (k === 'message' || k === 'fields' || UNSAFE_KEYS.has(k) || !isPlainJson(m[k]))) return false;
  }
  return true;
}
