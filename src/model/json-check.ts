/**
 * What "plain JSON" means for a caller's data (tool input and output, meta, env, a message's extra
 * fields), and the names refused where skein's own objects are built. Shared by the schema and the
 * direct check of message deltas.
 */

/**
 * Names refused for message fields and ids, which the store's own objects carry. A caller's
 * data (tool input and output, meta, env) may hold any key: it is kept as data, never assigned
 * into an object in a way that reaches a prototype.
 */
export const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_DEPTH = 64;

/** Why `value` is not plain JSON (finite numbers, no unsafe keys), or undefined when it is. */
export function jsonProblem(value: unknown, path: (string | number)[], depth: number): [string, string] | undefined {
  if (depth > MAX_DEPTH) return [path.join('.'), 'nested too deeply'];
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : [path.join('.'), 'must be a finite number'];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonProblem(value[i], [...path, i], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return [path.join('.'), 'must be a plain JSON object'];
    for (const k of Object.keys(value)) {
      const p = jsonProblem((value as Record<string, unknown>)[k], [...path, k], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return [path.join('.'), `must be JSON, not ${typeof value}`];
}

/** The latest time a JavaScript Date can hold (ms since the epoch); a later one cannot be shown as a date. */
export const MAX_TIMESTAMP = 8.64e15;
