/**
 * Turns a caller's deltas into one backend commit: completes each delta into an op on the
 * thread's head (the pure core does the work), and collects the message rows to insert and the
 * ranges to hide. Needs the backend only to find the message a `thread:truncate` starts at.
 */
import { completeOp, step, type ThreadCore } from '../model/apply.js';
import type { Delta, HiddenRange, Message, Op, ThreadHead } from '../model/types.js';
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
}

/** A lookup over a backend's stored visible messages. */
export function backendLookup(backend: StorageBackend, head: ThreadHead): MessageLookup {
  return {
    at: async (index) => (await backend.locate(head.id, { index }))?.message,
    indexOf: async (messageId) => (await backend.locate(head.id, { messageId }))?.index,
  };
}

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
  // Messages this batch adds sit after the stored ones in the visible order.
  const pending: Message[] = [];
  const storedCount = head.messageCount;
  for (const delta of deltas) {
    let resolved: { index: number; message: Message } | undefined;
    if (delta && typeof delta === 'object' && delta.type === 'thread:truncate') {
      const byId = delta.fromMessageId;
      let index = byId !== undefined ? await opts.lookup.indexOf(byId) : delta.fromIndex;
      if (byId !== undefined && index === undefined) {
        const j = pending.findIndex((m) => m.id === byId);
        if (j >= 0) index = storedCount + j;
      }
      if (typeof index === 'number' && Number.isInteger(index) && index >= 0) {
        const message = index < storedCount ? await opts.lookup.at(index) : pending[index - storedCount];
        if (message) resolved = { index, message };
      }
    }
    const op = completeOp(core, delta, {
      clientId: opts.clientId,
      now: opts.now,
      messageAt: (index) => (resolved?.index === index ? resolved.message : undefined),
      indexOf: (id) => (resolved?.message.id === id ? resolved.index : undefined),
    });
    const { core: next, effect } = step(core, op);
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
    }
  }
  const newHead: ThreadHead = { ...core, messageCount: count, updated: opts.now };
  return {
    batch: { threadId: head.id, baseVersion: head.v, head: newHead, ops, inserts, hides, ...(opts.fence && { fence: opts.fence }) },
    ops,
  };
}

/**
 * Builds the commit for complete ops (from a server or a peer) on `head`: each op is folded with
 * `step`; the ops must be numbered from head.v + 1.
 */
export function batchFromOps(head: ThreadHead, ops: Op[], now: number, fence?: Fence): CommitBatch {
  let core = coreOf(head);
  const inserts: CommitBatch['inserts'] = [];
  const hides: HiddenRange[] = [];
  for (const op of ops) {
    const r = step(core, op);
    core = r.core;
    if (r.effect.kind === 'insert') inserts.push({ message: r.effect.message, hidden: r.effect.hidden });
    else if (r.effect.kind === 'hide') hides.push(r.effect.range);
  }
  return {
    threadId: head.id,
    baseVersion: head.v,
    head: { ...core, messageCount: head.messageCount, updated: now },
    ops,
    inserts,
    hides,
    ...(fence && { fence }),
  };
}
