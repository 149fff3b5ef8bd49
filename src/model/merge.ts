/**
 * Three-way merge of whole threads (seed: `hasConflict`, `merge(base, local, remote)`).
 *
 * Message order is a pure function of the set of messages (their order keys), so the merge is a
 * union: every message either side holds, minus those inside a hidden range either side recorded,
 * sorted by key. Scalars go to the later writer by (hlc, clientId, opId). The result equals what
 * folding the union of both sides' ops gives, on any replica.
 */
import { ValidationError } from '../errors.js';
import { compareKeys, maxHlc } from './order-key.js';
import { compareStamps, isHidden, setVisibility } from './apply.js';
import { boundCalls } from './open-calls.js';
import { unionLinks } from './links.js';
import type { HiddenRange, Message, Stamp, Thread, ThreadClock, ThreadID } from './types.js';

function fingerprint(t: Thread): string {
  return JSON.stringify([
    t.messages.map((m) => m.id),
    Object.entries(t.clock.stamps).sort(([a], [b]) => compareKeys(a, b)),
    t.clock.hidden.map((r) => r.opId).sort(compareKeys),
    t.childThreadIDs,
    t.summaryThreadIDs,
    t.links ?? [],
  ]);
}

/** True when `local` and `remote` differ, so that a merge is needed before they agree. */
export function hasConflict(local: Thread, remote: Thread): boolean {
  if (local.id !== remote.id) throw new ValidationError('remote.id', `threads ${local.id} and ${remote.id} differ`);
  return local.v !== remote.v || fingerprint(local) !== fingerprint(remote);
}

function unionSorted(a: readonly ThreadID[], b: readonly ThreadID[]): ThreadID[] {
  return [...new Set([...a, ...b])].sort(compareKeys);
}

function newIn(side: Thread, base: Thread): number {
  return side.v - base.v;
}

/**
 * Merges two threads that share the ancestor `base`. Deterministic and symmetric in `local` and
 * `remote`; see DESIGN section 3 for the rules. When only one side changed, that side is returned.
 */
export function merge(base: Thread, local: Thread, remote: Thread): Thread {
  if (base.id !== local.id || base.id !== remote.id) throw new ValidationError('base.id', 'threads to merge must share one id');
  if (!hasConflict(local, remote)) return local;
  if (!hasConflict(base, local)) return remote;
  if (!hasConflict(base, remote)) return local;

  // Messages: union by id. A message held by both sides with different bodies cannot come from
  // one op; the smaller JSON wins so that the choice does not depend on the argument order.
  const byId = new Map<string, Message>();
  for (const m of [...base.messages, ...local.messages, ...remote.messages]) {
    const had = byId.get(m.id);
    if (!had || JSON.stringify(m) < JSON.stringify(had)) byId.set(m.id, m);
  }
  const hiddenById = new Map<string, HiddenRange>();
  for (const r of [...base.clock.hidden, ...local.clock.hidden, ...remote.clock.hidden]) hiddenById.set(r.opId, r);
  const hidden = [...hiddenById.values()].sort((a, b) => compareKeys(a.opId, b.opId));
  const messages = [...byId.values()].filter((m) => !isHidden(m.key!, hidden)).sort((a, b) => compareKeys(a.key!, b.key!));

  // Scalars: the later writer wins.
  const out: Thread = {
    ...base,
    messages,
    childThreadIDs: unionSorted(local.childThreadIDs, remote.childThreadIDs),
    summaryThreadIDs: unionSorted(local.summaryThreadIDs, remote.summaryThreadIDs),
  };
  const links = unionLinks(local.links, remote.links);
  if (links.length > 0) out.links = links;
  else delete out.links;
  const stamps: Record<string, Stamp> = {};
  const names = new Set([...Object.keys(local.clock.stamps), ...Object.keys(remote.clock.stamps)]);
  for (const name of [...names].sort(compareKeys)) {
    const l = local.clock.stamps[name];
    const r = remote.clock.stamps[name];
    const side = !r || (l && compareStamps(l, r) >= 0) ? local : remote;
    stamps[name] = side.clock.stamps[name]!;
    if (name === 'title') out.title = side.title;
    else if (name === 'env') out.env = side.env;
    else if (name === 'archived') out.archived = side.archived;
    else if (name === 'visibility') setVisibility(out, side.visibility ?? 'workspace', side.shareId);
    else if (name.startsWith('meta.')) {
      const key = name.slice(5);
      const meta = { ...out.meta };
      if (side.meta && Object.hasOwn(side.meta, key))
        Object.defineProperty(meta, key, { value: side.meta[key], writable: true, enumerable: true, configurable: true });
      else delete meta[key];
      out.meta = meta;
    }
  }
  for (const k of ['title', 'env', 'archived', 'meta'] as const) if (out[k] === undefined) delete out[k];
  if (out.meta && Object.keys(out.meta).length === 0) delete out.meta;

  // Open tool calls: made on either side and answered on neither.
  const openCalls: Record<string, string> = {};
  for (const side of [local, remote]) {
    for (const [id, key] of Object.entries(side.clock.openCalls)) {
      const answeredElsewhere =
        Object.hasOwn(base.clock.openCalls, id) &&
        (!Object.hasOwn(local.clock.openCalls, id) || !Object.hasOwn(remote.clock.openCalls, id));
      if (!answeredElsewhere) Object.defineProperty(openCalls, id, { value: key, enumerable: true, writable: true, configurable: true });
    }
  }
  const turns = [local.clock.turnKey, remote.clock.turnKey].filter((k): k is string => k !== undefined).sort(compareKeys);
  const turnKey = turns.at(-1);
  const clock: ThreadClock = {
    maxHlc: maxHlc(local.clock.maxHlc, remote.clock.maxHlc),
    // Only the merged turn's calls stay open, and only the newest calling messages' (open-calls.ts).
    openCalls: boundCalls(openCalls, turnKey),
    stamps,
    hidden,
  };
  if (turnKey !== undefined) clock.turnKey = turnKey;
  out.clock = clock;

  // v counts the ops of the merged log: base, plus each side's new ops, less the ones both hold.
  const baseIds = new Set(base.messages.map((m) => m.id));
  const localIds = new Set(local.messages.map((m) => m.id));
  let shared = remote.messages.filter((m) => localIds.has(m.id) && !baseIds.has(m.id)).length;
  for (const name of names) {
    const l = local.clock.stamps[name];
    const r = remote.clock.stamps[name];
    if (l && r && l.opId === r.opId && base.clock.stamps[name]?.opId !== l.opId) shared++;
  }
  const baseHidden = new Set(base.clock.hidden.map((h) => h.opId));
  const localHidden = new Set(local.clock.hidden.map((h) => h.opId));
  shared += remote.clock.hidden.filter((h) => localHidden.has(h.opId) && !baseHidden.has(h.opId)).length;
  out.v = base.v + newIn(local, base) + newIn(remote, base) - shared;
  return out;
}
