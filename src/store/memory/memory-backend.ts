/**
 * The memory backend: the storage contract over Maps, for throwaway stores (`dir: ':memory:'`),
 * ephemeral threads and tests. Same semantics as SQLite, including leases (within one process).
 * This file checks and orders the writes across threads; one thread's entry and the changes to
 * it are in memory-entry.ts, the search scan in memory-search.ts.
 */
import { SkeinError, ErrorCode } from '../../errors.js';
import { compareKeys } from '../../model/order-key.js';
import { boundHead, linksOf, type StoredLink } from '../../model/bounded-links.js';
import { metaOf, type StoredMeta } from '../../model/bounded-meta.js';
import { overlaps, type KeySpan } from '../../model/hidden.js';
import type { HiddenRange, Message, Op, ThreadHead, ThreadID } from '../../model/types.js';
import type { CommitBatch, Fence, LeaseState, ListedHead, PendingMention, SearchHit, SearchRequest, StorageBackend, UsageRow } from '../backend.js';
import { addUsage, checkLease, checkNotEvicted, checkVersion, checkWholeLog, emptyUsage, messageOf } from '../view.js';
import { clone, evictEntry, hasLink, insertRow, keepLinks, keepMeta, keepRanges, messageUsage, newEntry, viewRowsOf, visibleRows, type Entry } from './memory-entry.js';
import { memorySearch, type SearchableThread } from './memory-search.js';

/** See the module comment. */
export class MemoryBackend implements StorageBackend {
  readonly kind = 'memory';
  private readonly threads = new Map<ThreadID, Entry>();
  private readonly leases = new Map<ThreadID, LeaseState>();
  private seq = 0;
  /** Queued mention links by link (target, thread, message), in the order queued. */
  private readonly pending = new Map<string, PendingMention & { seq: number }>();
  private mentionSeq = 0;

  async getHead(id: ThreadID): Promise<ThreadHead | undefined> {
    const e = this.threads.get(id);
    return e && clone(e.head);
  }

  async commit(batches: CommitBatch[], now: number): Promise<void> {
    // Check everything first so that a failure changes nothing.
    for (const b of batches) {
      const e = this.threads.get(b.threadId);
      checkVersion(b.threadId, e?.head.v, b.baseVersion);
      checkNotEvicted(b.threadId, e?.evicted);
      checkLease(b.threadId, this.leases.get(b.threadId), b.fence, now);
      const seen = new Set(e?.opIds);
      for (const op of b.ops) {
        if (seen.has(op.opId)) throw new SkeinError(ErrorCode.VALIDATION, `op ${op.opId} (v${op.v}) is already in thread ${b.threadId}`);
        seen.add(op.opId);
      }
    }
    for (const b of batches) {
      let e = this.threads.get(b.threadId);
      // A stored thread's ranges are kept already but for the batch's own; a new one's head holds all of them.
      const ranges = e ? b.hides : [...b.head.clock.hidden, ...b.hides];
      const links = e ? (b.links ?? []) : linksOf(b.head);
      const meta = e ? (b.meta ?? []) : metaOf(b.head);
      if (!e) {
        e = newEntry(b.head);
        this.threads.set(b.threadId, e);
      }
      const seqOf = new Map<string, number>();
      for (const op of b.ops) {
        const seq = ++this.seq;
        e.ops.push({ op: clone(op), seq });
        e.opIds.add(op.opId);
        e.lastSeq = seq;
        const m = messageOf(op);
        if (m) seqOf.set(m.id, seq);
      }
      let count = e.head.messageCount;
      for (const { message, hidden } of b.inserts) {
        insertRow(e, { key: message.key!, seq: seqOf.get(message.id)!, hidden, message: clone(message) });
        if (!hidden) count++;
      }
      for (const r of b.hides)
        for (const row of e.rows)
          if (!row.hidden && row.key >= r.fromKey && row.key < r.toKey) {
            row.hidden = true;
            count--;
          }
      if (b.head.title !== e.head.title) e.titleAt = b.head.updated;
      keepRanges(e, ranges);
      keepLinks(e, links);
      keepMeta(e, meta);
      e.head = clone(boundHead({ ...b.head, messageCount: count }));
      for (const m of b.mentions ?? []) {
        const key = `${m.target} ${m.threadId} ${m.messageId}`;
        if (!this.pending.has(key)) this.pending.set(key, { target: m.target, threadId: m.threadId, messageId: m.messageId, seq: ++this.mentionSeq });
      }
    }
  }

  async pendingMentions(afterSeq: number, limit: number): Promise<(PendingMention & { seq: number })[]> {
    // Kept in seq order: a Map iterates in insertion order.
    return [...this.pending.values()].filter((m) => m.seq > afterSeq).slice(0, limit).map((m) => ({ ...m }));
  }

  async dropMentions(seqs: number[]): Promise<void> {
    const drop = new Set(seqs);
    for (const [key, m] of this.pending) if (drop.has(m.seq)) this.pending.delete(key);
  }

  async opsSince(afterSeq: number, limit: number): Promise<{ seq: number; op: Op }[]> {
    const out: { seq: number; op: Op }[] = [];
    for (const e of this.threads.values()) for (const x of e.ops) if (x.seq > afterSeq) out.push({ seq: x.seq, op: clone(x.op) });
    return out.sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  async rewrite(
    c: { threadId: ThreadID; baseVersion: number; keepVersion: number; ops: Op[]; head: ThreadHead; rows: { message: Message; hidden: boolean }[]; fence?: Fence },
    now: number,
  ): Promise<void> {
    const e = this.threads.get(c.threadId);
    checkVersion(c.threadId, e?.head.v, c.baseVersion);
    if (!e) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${c.threadId} not found`);
    checkNotEvicted(c.threadId, e.evicted);
    checkLease(c.threadId, this.leases.get(c.threadId), c.fence, now);
    const kept = e.ops.filter((x) => x.op.v <= c.keepVersion);
    const ids = new Set(kept.map((x) => x.op.opId));
    for (const op of c.ops) {
      if (ids.has(op.opId)) throw new SkeinError(ErrorCode.VALIDATION, `op ${op.opId} (v${op.v}) is already in thread ${c.threadId}`);
      ids.add(op.opId);
    }
    e.ops = [...kept, ...c.ops.map((op) => ({ op: clone(op), seq: ++this.seq }))];
    e.opIds = ids;
    e.lastSeq = e.ops.at(-1)?.seq ?? 0;
    await this.replaceView(c.head, c.rows);
  }

  async ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]> {
    const e = this.threads.get(id);
    return e ? e.ops.filter((x) => x.op.v > fromVersion && x.op.v <= toVersion).map((x) => clone(x.op)) : [];
  }

  async hasOp(id: ThreadID, opId: string): Promise<boolean> {
    return this.threads.get(id)?.opIds.has(opId) ?? false;
  }

  async threadMeta(id: ThreadID, keys?: readonly string[]): Promise<StoredMeta[]> {
    const all = this.threads.get(id)?.meta;
    if (!all) return [];
    return clone(keys ? keys.flatMap((k) => (all.has(k) ? [all.get(k)!] : [])) : [...all.values()]);
  }

  async threadLinks(id: ThreadID, only?: readonly StoredLink[]): Promise<StoredLink[]> {
    const e = this.threads.get(id);
    if (!e) return [];
    return clone(only ? only.filter((l) => hasLink(e, l)) : [...e.links.values()]);
  }

  async hiddenRanges(id: ThreadID, span?: KeySpan): Promise<HiddenRange[]> {
    const all = this.threads.get(id)?.hidden ?? [];
    return clone(span ? all.filter((r) => overlaps(r, span)) : all);
  }

  async callKey(id: ThreadID, callId: string): Promise<string | undefined> {
    // A scan from the newest row: results mostly answer recent calls.
    const rows = this.threads.get(id)?.rows ?? [];
    for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.message.toolCalls?.some((c) => c.id === callId)) return rows[i]!.key;
    return undefined;
  }

  async messagesBefore(id: ThreadID, beforeKey: string | undefined, limit: number, offset: number): Promise<Message[]> {
    const rows = visibleRows(this.threads.get(id)).filter((r) => beforeKey === undefined || r.key < beforeKey);
    const end = Math.max(0, rows.length - offset);
    return rows.slice(Math.max(0, end - limit), end).reverse().map((r) => clone(r.message));
  }

  async messagesAfter(id: ThreadID, afterKey: string | undefined, limit: number): Promise<Message[]> {
    const rows = visibleRows(this.threads.get(id)).filter((r) => afterKey === undefined || r.key > afterKey);
    return rows.slice(0, limit).map((r) => clone(r.message));
  }

  async findMessage(id: ThreadID, messageId: string): Promise<Message | undefined> {
    const row = visibleRows(this.threads.get(id)).find((r) => r.message.id === messageId);
    return row && clone(row.message);
  }

  async locate(id: ThreadID, at: { messageId: string } | { index: number }): Promise<{ index: number; message: Message } | undefined> {
    const rows = visibleRows(this.threads.get(id));
    const index = 'index' in at ? at.index : rows.findIndex((r) => r.message.id === at.messageId);
    const row = index >= 0 ? rows[index] : undefined;
    return row && { index, message: clone(row.message) };
  }

  private activityAt(e: Entry, snapshot: number): number | undefined {
    if (e.lastSeq <= snapshot) return e.lastSeq;
    let best: number | undefined;
    for (const x of e.ops) if (x.seq <= snapshot) best = x.seq;
    return best;
  }

  async listThreads(opts: { limit: number; snapshot: number; below?: number }): Promise<ListedHead[]> {
    const below = opts.below ?? Number.MAX_SAFE_INTEGER;
    const out: ListedHead[] = [];
    for (const e of this.threads.values()) {
      const activity = this.activityAt(e, opts.snapshot);
      if (activity !== undefined && activity < below) out.push({ head: e.head, activity });
    }
    out.sort((a, b) => b.activity - a.activity);
    return out.slice(0, opts.limit).map((x) => ({ head: clone(x.head), activity: x.activity }));
  }

  async maxSeq(): Promise<number> {
    return this.seq;
  }

  async usage(ids: ThreadID[], by: 'model' | 'day' | 'all'): Promise<UsageRow[]> {
    const groups = new Map<string, UsageRow>();
    const add = (model: string, day: string, u: UsageRow) => {
      const g = by === 'model' ? model : by === 'day' ? day : '';
      groups.set(g, addUsage(groups.get(g) ?? emptyUsage(g), u));
    };
    for (const id of new Set(ids)) {
      const e = this.threads.get(id);
      for (const row of e?.rows ?? []) {
        const one = messageUsage(row.message);
        if (one) add(one.model, one.day, one.usage);
      }
      for (const { model, day, totals } of e?.archivedUsage?.values() ?? []) add(model, day, totals);
    }
    return [...groups.values()].sort((a, b) => compareKeys(a.group, b.group));
  }

  async inactiveThreads(opts: { updatedBefore: number; limit: number; after?: ThreadID }): Promise<ThreadID[]> {
    const ids: ThreadID[] = [];
    for (const [id, e] of this.threads) if (e.evicted === undefined && e.head.updated < opts.updatedBefore && (opts.after === undefined || id > opts.after)) ids.push(id);
    return ids.sort(compareKeys).slice(0, opts.limit);
  }

  async evict(id: ThreadID, v: number, now: number): Promise<void> {
    const e = this.threads.get(id);
    if (!e) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    checkVersion(id, e.head.v, v);
    checkNotEvicted(id, e.evicted);
    checkLease(id, this.leases.get(id), undefined, now);
    evictEntry(e, now);
  }

  async reinstate(id: ThreadID, ops: Op[], rows: { message: Message; hidden: boolean }[]): Promise<void> {
    const e = this.threads.get(id);
    if (!e) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    if (e.evicted === undefined) throw new SkeinError(ErrorCode.VALIDATION, `thread ${id} is not archived`, { details: { threadId: id } });
    checkWholeLog(id, e.head.v, ops);
    e.ops = ops.map((op) => ({ op: clone(op), seq: ++this.seq }));
    e.opIds = new Set(ops.map((op) => op.opId));
    e.lastSeq = this.seq;
    e.rows = viewRowsOf(e, rows);
    delete e.evicted;
    delete e.archivedUsage;
    delete e.archivedMessages;
  }

  async evicted(id: ThreadID): Promise<number | undefined> {
    return this.threads.get(id)?.evicted;
  }

  async acquireLease(id: ThreadID, owner: string, ttlMs: number, now: number): Promise<number | undefined> {
    const cur = this.leases.get(id);
    if (cur && cur.expires > now) return undefined;
    const token = (cur?.token ?? 0) + 1;
    this.leases.set(id, { owner, token, expires: now + ttlMs });
    return token;
  }

  async renewLease(id: ThreadID, fence: Fence, ttlMs: number, now: number): Promise<boolean> {
    const cur = this.leases.get(id);
    if (!cur || cur.owner !== fence.owner || cur.token !== fence.token) return false;
    cur.expires = now + ttlMs;
    return true;
  }

  async releaseLease(id: ThreadID, fence: Fence): Promise<void> {
    const cur = this.leases.get(id);
    if (cur && cur.owner === fence.owner && cur.token === fence.token) cur.expires = 0;
  }

  async lease(id: ThreadID): Promise<LeaseState | undefined> {
    const cur = this.leases.get(id);
    return cur && { ...cur };
  }

  async inconsistentThreads(): Promise<ThreadID[]> {
    return [...this.threads.entries()].filter(([, e]) => e.evicted === undefined && e.head.v !== (e.ops.at(-1)?.op.v ?? 0)).map(([id]) => id);
  }

  async replaceView(head: ThreadHead, rows: { message: Message; hidden: boolean }[]): Promise<void> {
    const e = this.threads.get(head.id);
    if (!e) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${head.id} not found`);
    e.rows = viewRowsOf(e, rows);
    if (head.title !== e.head.title) e.titleAt = head.updated;
    // A whole head (rebuilt from the log) holds every range; a bounded one only adds to those kept.
    if (head.clock.hiddenBefore === undefined) {
      e.hidden = [];
      e.hiddenIds = new Set();
    }
    keepRanges(e, head.clock.hidden);
    // Likewise for links: a head without cut lists shows every link.
    if (head.clock.linkCounts === undefined) e.links = new Map();
    keepLinks(e, linksOf(head));
    if (head.clock.metaCount === undefined) e.meta = new Map();
    keepMeta(e, metaOf(head));
    e.head = clone(boundHead({ ...head, messageCount: rows.filter((r) => !r.hidden).length }));
  }

  async search(request: SearchRequest): Promise<SearchHit[]> {
    return memorySearch(this.searchable(), request);
  }

  private *searchable(): Iterable<[ThreadID, SearchableThread]> {
    for (const [id, e] of this.threads) {
      const messages = e.evicted !== undefined ? (e.archivedMessages ?? []) : e.rows.filter((r) => !r.hidden).map((r) => r.message);
      yield [id, { head: e.head, messages, titleAt: e.titleAt, evicted: e.evicted !== undefined }];
    }
  }

  /** Nothing to rebuild: the scan reads the rows themselves. */
  async reindex(): Promise<{ documents: number }> {
    let n = 0;
    for (const [, t] of this.searchable()) n += t.messages.length + (t.head.title !== undefined ? 1 : 0);
    return { documents: n };
  }

  async close(): Promise<void> {}
}
