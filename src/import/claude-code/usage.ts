/**
 * Token usage of Claude Code responses: read from a record, and the arithmetic that counts a
 * response split over several records once (field by field, in one fixed field order).
 */
import type { ResourceUsage } from '../../model/types.js';

type Obj = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A usage with its fields in one fixed order (and one object shape for the hot path). */
function usageFields(model: string | undefined, inputTokens: number, outputTokens: number, cacheReadTokens: number, cacheWriteTokens: number): ResourceUsage {
  return model ? { model, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } : { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens };
}

export function usageOf(msg: Obj): ResourceUsage | undefined {
  const u = msg.usage;
  if (!isObj(u)) return undefined;
  return usageFields(str(msg.model), num(u.input_tokens), num(u.output_tokens), num(u.cache_read_input_tokens), num(u.cache_creation_input_tokens));
}

/** `now` minus what was already counted, field by field (never below zero). */
export function minus(now: ResourceUsage, c: ResourceUsage | undefined): ResourceUsage {
  return usageFields(
    now.model,
    Math.max(0, (now.inputTokens ?? 0) - (c?.inputTokens ?? 0)),
    Math.max(0, (now.outputTokens ?? 0) - (c?.outputTokens ?? 0)),
    Math.max(0, (now.cacheReadTokens ?? 0) - (c?.cacheReadTokens ?? 0)),
    Math.max(0, (now.cacheWriteTokens ?? 0) - (c?.cacheWriteTokens ?? 0)),
  );
}

export function add(a: ResourceUsage | undefined, b: ResourceUsage): ResourceUsage {
  return usageFields(
    b.model,
    (a?.inputTokens ?? 0) + (b.inputTokens ?? 0),
    (a?.outputTokens ?? 0) + (b.outputTokens ?? 0),
    (a?.cacheReadTokens ?? 0) + (b.cacheReadTokens ?? 0),
    (a?.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0),
  );
}

/** The larger of each field (what a response's pieces counted so far). */
export function most(a: ResourceUsage, b: ResourceUsage): ResourceUsage {
  return usageFields(
    a.model,
    Math.max(a.inputTokens ?? 0, b.inputTokens ?? 0),
    Math.max(a.outputTokens ?? 0, b.outputTokens ?? 0),
    Math.max(a.cacheReadTokens ?? 0, b.cacheReadTokens ?? 0),
    Math.max(a.cacheWriteTokens ?? 0, b.cacheWriteTokens ?? 0),
  );
}
