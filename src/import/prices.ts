/**
 * Estimated cost for sources that record tokens but no cost (Claude Code, Codex): a dated table
 * of list prices per model, in US dollars per million tokens. A message priced from it is marked
 * `costEstimated: true`, and its thread `meta.costEstimated = true`, so `skein cost` can say so.
 * Models are matched by the longest name prefix; an unknown model gets no cost.
 */
import type { ResourceUsage } from '../model/types.js';

/** The date the prices below were taken from the vendors' public price pages. */
export const PRICES_AS_OF = '2025-11-24';

interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

// Per million tokens. Cache writes are the 5-minute rate (Anthropic); OpenAI has no write charge.
const TABLE: [prefix: string, price: Price][] = [
  ['claude-opus-4-5', { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
  ['claude-opus-4', { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  ['claude-3-opus', { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  ['claude-sonnet-4', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-3-7-sonnet', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-3-5-sonnet', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-haiku-4-5', { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
  ['claude-3-5-haiku', { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 }],
  ['gpt-5-mini', { input: 0.25, output: 2, cacheWrite: 0, cacheRead: 0.025 }],
  ['gpt-5-nano', { input: 0.05, output: 0.4, cacheWrite: 0, cacheRead: 0.005 }],
  ['gpt-5', { input: 1.25, output: 10, cacheWrite: 0, cacheRead: 0.125 }],
  ['gpt-4.1-mini', { input: 0.4, output: 1.6, cacheWrite: 0, cacheRead: 0.1 }],
  ['gpt-4.1', { input: 2, output: 8, cacheWrite: 0, cacheRead: 0.5 }],
  ['gpt-4o-mini', { input: 0.15, output: 0.6, cacheWrite: 0, cacheRead: 0.075 }],
  ['gpt-4o', { input: 2.5, output: 10, cacheWrite: 0, cacheRead: 1.25 }],
  ['o4-mini', { input: 1.1, output: 4.4, cacheWrite: 0, cacheRead: 0.275 }],
  ['o3', { input: 2, output: 8, cacheWrite: 0, cacheRead: 0.5 }],
  ['codex-mini', { input: 1.5, output: 6, cacheWrite: 0, cacheRead: 0.375 }],
];
TABLE.sort((a, b) => b[0].length - a[0].length);

// Asked once per priced message, for a handful of distinct models.
const known = new Map<string, Price | undefined>();

/** The price row of a model, if the table knows it. */
export function priceOf(model: string | undefined): Price | undefined {
  if (!model) return undefined;
  if (known.has(model)) return known.get(model);
  const m = model.toLowerCase().replace(/^(anthropic|openai)\//, '');
  const p = TABLE.find(([prefix]) => m.startsWith(prefix))?.[1];
  if (known.size < 1000) known.set(model, p);
  return p;
}

/** The estimated cost in USD of one usage, or undefined when the model is not in the table. */
export function estimateCost(u: ResourceUsage): number | undefined {
  const p = priceOf(u.model);
  if (!p) return undefined;
  const usd = ((u.inputTokens ?? 0) * p.input + (u.outputTokens ?? 0) * p.output + (u.cacheWriteTokens ?? 0) * p.cacheWrite + (u.cacheReadTokens ?? 0) * p.cacheRead) / 1e6;
  return Math.round(usd * 1e9) / 1e9;
}
