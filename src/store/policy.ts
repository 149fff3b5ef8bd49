/**
 * Persistence policies per kind of thread (seed: `ThreadPersistenceStrategy`), configurable.
 * Sub-agent threads are kept locally by default (not the seed's memory-only), so that a
 * sub-agent's messages and costs stay in the tree; `ephemeral` restores the seed's behaviour.
 */
import { ValidationError } from '../errors.js';
import type { ThreadHead, Thread, CreateFields } from '../model/types.js';

/** Main threads, sub-agent threads (have `mainThreadID`) and summary threads (have `originThreadID`). */
export type ThreadKind = 'main' | 'subagent' | 'summary';

/** How one kind of thread is kept. */
export interface PersistencePolicy {
  /** How long a thread stays in the memory tier after use. */
  memoryTtlMs: number;
  /** Whether it is written to the local database (false: memory only, gone when the process ends). */
  local: boolean;
  /** Whether it is pushed to the server, and with which priority. */
  sync: boolean;
  priority: 'high' | 'low';
}

/** Named presets; `ephemeral` is the seed's sub-agent policy. */
export const POLICY_PRESETS = {
  main: { memoryTtlMs: 300_000, local: true, sync: true, priority: 'high' },
  summary: { memoryTtlMs: 3_600_000, local: true, sync: true, priority: 'low' },
  subagent: { memoryTtlMs: 60_000, local: true, sync: false, priority: 'low' },
  ephemeral: { memoryTtlMs: 60_000, local: false, sync: false, priority: 'low' },
} as const satisfies Record<string, PersistencePolicy>;

/** A policy given by preset name or by the fields to change from the kind's default. */
export type PolicyOption = keyof typeof POLICY_PRESETS | Partial<PersistencePolicy>;

/** Resolves the configured policies, one per kind. */
export function resolvePolicies(options: Partial<Record<ThreadKind, PolicyOption>> = {}): Record<ThreadKind, PersistencePolicy> {
  const out = {} as Record<ThreadKind, PersistencePolicy>;
  for (const kind of ['main', 'subagent', 'summary'] as const) {
    const opt = options[kind];
    if (opt === undefined) out[kind] = { ...POLICY_PRESETS[kind] };
    else if (typeof opt === 'string') {
      if (!Object.hasOwn(POLICY_PRESETS, opt)) throw new ValidationError(`policies.${kind}`, `unknown preset ${JSON.stringify(opt)}`);
      out[kind] = { ...POLICY_PRESETS[opt] };
    } else {
      // Wire bytes are gzipped and archives compressed for every kind, so there is no per-kind switch.
      for (const key of Object.keys(opt ?? {}))
        if (!Object.hasOwn(POLICY_PRESETS.main, key)) throw new ValidationError(`policies.${kind}.${key}`, 'is not a policy field (memoryTtlMs, local, sync, priority)');
      out[kind] = { ...POLICY_PRESETS[kind], ...opt };
    }
  }
  return out;
}

/** The kind of a thread, from its relationships. */
export function kindOf(t: Pick<ThreadHead | Thread | CreateFields, 'mainThreadID' | 'originThreadID'>): ThreadKind {
  return t.mainThreadID ? 'subagent' : t.originThreadID ? 'summary' : 'main';
}
