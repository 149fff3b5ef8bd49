/**
 * Turns a caller's deltas into one backend commit: completes each delta into an op on the
 * thread's head (the pure core does the work), and collects the message rows to insert and the
 * ranges to hide. Needs the backend only to find the message a `thread:truncate` starts at.
 */
import { completeOp, isHidden, step, type OpContext, type ThreadCore } from '../model/apply.js';
import { linkOfOp, missingLinks, withLinks, type StoredLink } from '../model/bounded-links.js';
import { missingMeta, withMeta, type StoredMeta } from '../model/bounded-meta.js';
import { keySpan, needsOlderRanges, subtreeSpan, withRanges, type KeySpan } from '../model/hidden.js';
import { KEY_SEP, isTopLevel } from '../model/order-key.js';
import { isMessageOp } from '../model/op-kinds.js';
import { callKeyIn } from '../model/open-calls.js';
import type { Delta, HiddenRange, Message, Op, ThreadHead, ThreadID } from '../model/types.js';
import type { CommitBatch, Fence, StorageBackend } from './backend.js';

/** What a commit made: the thread's new head and the ops written. */
export interface Written {
  head: ThreadHead;
  ops: Op[];
}

/** Where a batch's truncations look up visible messages. */
export interface MessageLookup {
  at(index: number): Promise<Message | undefined>;
  indexOf(messageId: string): Promise<number | undefined>;
  /** The key of the stored message that made a tool call (for results whose call the head forgot). */
  callKey?(callId: string): Promise<string | undefined>;
  /** The stored hidden ranges overlapping a span, for a key below what the head lists (model/hidden.ts). */
  hiddenRanges?(span: KeySpan): Promise<HiddenRange[]>;
  /** The stored links among these, for links a bounded head does not show (model/bounded-links.ts). */
  threadLinks?(only: readonly StoredLink[]): Promise<StoredLink[]>;
  /** The stored meta keys among these, for keys a bounded head does not show (model/bounded-meta.ts). */
  threadMeta?(keys: readonly string[]): Promise<StoredMeta[]>;
}

/** Looks up stored hidden ranges in a backend. */
type RangeLookup = (span: KeySpan) => Promise<HiddenRange[]>;

/** What folding complete ops on a bounded head may look up beside it: hidden ranges and links. */
export interface StoredLookup {
  hiddenRanges(span: KeySpan): Promise<HiddenRange[]>;
  threadLinks(only: readonly StoredLink[]): Promise<StoredLink[]>;
  threadMeta(keys: readonly string[]): Promise<StoredMeta[]>;
}

/** The lookups of a thread's stored ranges, links and meta keys in a backend. */
export function storedLookup(backend: StorageBackend, id: ThreadID): StoredLookup {
  return new BackendLookup(backend, id);
}

/**
 * The core with the stored meta keys it does not show that `ops` set: then `step` compares with
 * their stored writers, as on a whole head (model/bounded-meta.ts).
 */
async function withStoredMeta(core: ThreadCore, ops: readonly Op[], lookup: ((keys: readonly string[]) => Promise<StoredMeta[]>) | undefined): Promise<ThreadCore> {
  if (!lookup || core.clock.metaCount === undefined) return core;
  const asked = missingMeta(core, ops.flatMap((op) => (op.type === 'meta:set' ? [op.key] : [])));
  return asked.length === 0 ? core : withMeta(core, await lookup(asked));
}

/**
 * The core with the stored links it does not show that `ops` add: then `step` sees them as
 * members and neither adds nor counts them again (model/bounded-links.ts).
 */
async function withStoredLinks(core: ThreadCore, ops: readonly Op[], lookup: ((only: readonly StoredLink[]) => Promise<StoredLink[]>) | undefined): Promise<ThreadCore> {
  if (!lookup || !core.clock.linkCounts) return core;
  const asked = missingLinks(core, ops.map(linkOfOp).filter((l): l is StoredLink => l !== undefined));
  return asked.length === 0 ? core : withLinks(core, await lookup(asked));
}

/** True when a head shows only the first few of its links or meta keys (the rest are kept beside it). */
function cutBeside(core: ThreadCore): boolean {
  return core.clock.linkCounts !== undefined || core.clock.metaCount !== undefined;
}

/** A key whose hiding matters to a batch: `span` is where it may fall, `probe` a key of the span at or below it. */
interface Probe {
  span: KeySpan;
  probe: string;
}

/** A stored message's key: it is the probe itself. */
const atKey = (key: string): Probe => ({ span: keySpan(key), probe: key });

/** A new child of `parent`: its stamp is above `maxHlc`, so it sorts above the probe (`~` is above every client id character). */
const childOf = (parent: string, maxHlc: string): Probe => ({ span: subtreeSpan(parent), probe: `${parent}${KEY_SEP}${maxHlc}~` });

/**
 * The core with the stored ranges that reach into the probes' spans and that the bounded head
 * left out: then `completeOp` and `step` see every range that matters to these keys
 * (model/hidden.ts). A range of the head that hides the probe and ends at a top-level key (as a
 * truncate's range does) hides the key too, whatever else is stored: nothing is looked up then.
 */
async function withOlderRanges(core: ThreadCore, probes: Probe[], lookup: RangeLookup | undefined): Promise<ThreadCore> {
  for (const { span, probe } of probes) {
    if (!lookup || !needsOlderRanges(core.clock, span)) continue;
    if (core.clock.hidden.some((r) => isTopLevel(r.toKey) && isHidden(probe, [r]))) continue;
    core = withRanges(core, await lookup(span));
  }
  return core;
}

/** A lookup over a backend's stored visible messages. */
export function backendLookup(backend: StorageBackend, head: ThreadHead): MessageLookup {
  return new BackendLookup(backend, head.id);
}

/** A thread's stored messages, ranges, links and meta keys in a backend (a class: an append makes one, with no closures). */
class BackendLookup implements MessageLookup, StoredLookup {
  constructor(
    private readonly backend: StorageBackend,
    private readonly id: ThreadID,
  ) {}

  async at(index: number): Promise<Message | undefined> {
    return (await this.backend.locate(this.id, { index }))?.message;
  }

  async indexOf(messageId: string): Promise<number | undefined> {
    return (await this.backend.locate(this.id, { messageId }))?.index;
  }

  async callKey(callId: string): Promise<string | undefined> {
    return this.backend.callKey?.(this.id, callId);
  }

  hiddenRanges(span: KeySpan): Promise<HiddenRange[]> {
    return this.backend.hiddenRanges(this.id, span);
  }

  threadLinks(only: readonly StoredLink[]): Promise<StoredLink[]> {
    return this.backend.threadLinks(this.id, only);
  }

  threadMeta(keys: readonly string[]): Promise<StoredMeta[]> {
    return this.backend.threadMeta(this.id, keys);
  }
}

/** What `completeOp` asks a batch about the delta at hand: the message a truncation starts at, and calls looked up. */
class DeltaContext implements OpContext {
  resolved: { index: number; message: Message } | undefined;
  calls: Map<string, string | undefined> | undefined;

  constructor(
    readonly clientId: string,
    readonly now: number,
  ) {}

  messageAt(index: number): Message | undefined {
    return this.resolved?.index === index ? this.resolved.message : undefined;
  }

  indexOf(id: string): number | undefined {
    return this.resolved?.message.id === id ? this.resolved.index : undefined;
  }

  callKey(id: string): string | undefined {
    return this.calls?.get(id);
  }
}

/**
 * The head without its count and time, which the new head puts back last: PostgreSQL's
 * one-statement commit splices the count into a head text that ends with them.
 */
function coreOf(head: ThreadHead): ThreadCore {
  const { messageCount: _c, updated: _u, ...core } = head;
  return core;
}

/** Builds the commit for `deltas` on `head`: ops at head.v + 1 ... head.v + n. */
export async function buildBatch(
  head: ThreadHead,
  deltas: Delta[],
  opts: { clientId: string; now: number; lookup: MessageLookup; fence?: Fence },
): Promise<{ batch: CommitBatch; ops: Op[] }> {
  let core = coreOf(head);
  let count = head.messageCount;
  const ops: Op[] = [];
  const inserts: CommitBatch['inserts'] = [];
  const hides: HiddenRange[] = [];
  const links: StoredLink[] = [];
  const meta: StoredMeta[] = [];
  // Messages this batch adds sit after the stored ones in the visible order.
  const pending: Message[] = [];
  const storedCount = head.messageCount;
  const ctx = new DeltaContext(opts.clientId, opts.now);
  for (const delta of deltas) {
    ctx.resolved = undefined;
    ctx.calls = undefined;
    const isObject = delta !== null && typeof delta === 'object';
    if (isObject && delta.type === 'thread:truncate') {
      const byId = delta.fromMessageId;
      let index = byId !== undefined ? await opts.lookup.indexOf(byId) : delta.fromIndex;
      if (byId !== undefined && index === undefined) {
        const j = pending.findIndex((m) => m.id === byId);
        if (j >= 0) index = storedCount + j;
      }
      if (typeof index === 'number' && Number.isInteger(index) && index >= 0) {
        const message = index < storedCount ? await opts.lookup.at(index) : pending[index - storedCount];
        if (message) ctx.resolved = { index, message };
      }
    }
    const isMessage = isObject && 'message' in delta;
    // Results whose call the head no longer remembers: the call is looked up (this batch first).
    const results = isMessage ? delta.message?.toolResults : undefined;
    if (Array.isArray(results))
      for (const r of results) {
        const callId = (r as { toolCallId?: unknown } | null)?.toolCallId;
        if (typeof callId !== 'string' || Object.hasOwn(core.clock.openCalls, callId) || ctx.calls?.has(callId)) continue;
        ctx.calls ??= new Map();
        ctx.calls.set(callId, callKeyIn(pending, callId) ?? (await opts.lookup.callKey?.(callId)));
      }
    // A new message goes under the open turn or a call: ranges the head left out may reach there
    // (only a head that left ranges out, `hiddenBefore`, needs any: model/hidden.ts).
    if (isMessage && core.clock.hiddenBefore !== undefined && opts.lookup.hiddenRanges) {
      const parents = [core.clock.turnKey, ...(ctx.calls?.values() ?? [])];
      if (Array.isArray(results))
        for (const r of results) {
          const callId = (r as { toolCallId?: unknown } | null)?.toolCallId;
          if (typeof callId === 'string' && Object.hasOwn(core.clock.openCalls, callId)) parents.push(core.clock.openCalls[callId]);
        }
      const probes = parents.filter((k): k is string => k !== undefined).map((k) => childOf(k, core.clock.maxHlc));
      core = await withOlderRanges(core, probes, opts.lookup.hiddenRanges.bind(opts.lookup));
    }
    const op = completeOp(core, delta, ctx);
    // Only a head that shows the first few links or meta keys may lack what the op adds.
    const known = cutBeside(core) ? await withStoredMeta(await withStoredLinks(core, [op], opts.lookup.threadLinks?.bind(opts.lookup)), [op], opts.lookup.threadMeta?.bind(opts.lookup)) : core;
    const { core: next, effect } = step(known, op);
    core = next;
    ops.push(op);
    if (effect.kind === 'insert') {
      inserts.push({ message: effect.message, hidden: effect.hidden });
      if (!effect.hidden) {
        count++;
        pending.push(effect.message);
      }
    } else if (effect.kind === 'hide') {
      hides.push(effect.range);
      count = op.type === 'thread:truncate' ? op.fromIndex : count;
      pending.length = Math.max(0, count - storedCount);
    } else if (effect.kind === 'link') links.push(effect.link);
    else if (effect.kind === 'meta') meta.push(effect.meta);
  }
  const newHead: ThreadHead = { ...core, messageCount: count, updated: opts.now };
  return {
    batch: { threadId: head.id, baseVersion: head.v, head: newHead, ops, inserts, hides, links, meta, ...(opts.fence && { fence: opts.fence }) },
    ops,
  };
}

/**
 * Builds the commit for complete ops (from a server or a peer) on `head`: each op is folded with
 * `step`; the ops must be numbered from head.v + 1. `older` looks up what a bounded head left
 * out: stored ranges, for messages keyed below it, and links it does not show (a whole head needs none).
 */
export async function batchFromOps(head: ThreadHead, ops: Op[], now: number, fence?: Fence, older?: StoredLookup): Promise<CommitBatch> {
  let core = await withOlderRanges(coreOf(head), ops.filter(isMessageOp).map((op) => atKey(op.message.key!)), older && ((span) => older.hiddenRanges(span)));
  core = await withStoredLinks(core, ops, older && ((only) => older.threadLinks(only)));
  core = await withStoredMeta(core, ops, older && ((keys) => older.threadMeta(keys)));
  const inserts: CommitBatch['inserts'] = [];
  const hides: HiddenRange[] = [];
  const links: StoredLink[] = [];
  const meta: StoredMeta[] = [];
  for (const op of ops) {
    const r = step(core, op);
    core = r.core;
    if (r.effect.kind === 'insert') inserts.push({ message: r.effect.message, hidden: r.effect.hidden });
    else if (r.effect.kind === 'hide') hides.push(r.effect.range);
    else if (r.effect.kind === 'link') links.push(r.effect.link);
    else if (r.effect.kind === 'meta') meta.push(r.effect.meta);
  }
  return {
    threadId: head.id,
    baseVersion: head.v,
    head: { ...core, messageCount: head.messageCount, updated: now },
    ops,
    inserts,
    hides,
    links,
    meta,
    ...(fence && { fence }),
  };
}
