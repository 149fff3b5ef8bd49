/**
 * Repairs what a crash left between the store and the import state: a thread ahead of the version
 * the state recorded (its newer ops' record identities are recorded, so nothing is applied
 * twice), and a thread creation that was never recorded (adopted by its `meta.importKey`).
 */
import type { ThreadID } from '../model/types.js';
import type { Store } from '../store/store.js';
import type { StateDb } from './state-db.js';

/** What the repairs need of the import sink (sink.ts, which calls in here). */
interface Sink {
  readonly store: Store;
  readonly db: StateDb;
  fence(): void;
}

/** What {@link reconcile} needs of a session. */
interface RepairedSession {
  readonly key: string;
  readonly threadId: ThreadID;
  readonly state: Record<string, unknown>;
  v: number;
  reconciled: boolean;
}

/** The thread moved past what the state database recorded (a crash between the two writes): catch up. */
export async function reconcile(sink: Sink, s: RepairedSession, fromV: number, toV: number): Promise<void> {
  const ops = await sink.store.history(s.threadId, { fromVersion: Math.min(fromV, toV) });
  sink.db.tx(() => {
    sink.fence();
    for (const op of ops) {
      if ((op.type === 'user:message' || op.type === 'assistant:message' || op.type === 'system:message') && typeof op.message.sourceId === 'string')
        sink.db.putRecord(s.threadId, op.message.sourceId, op.message.id, false);
      if (op.type === 'thread:truncate') {
        const r = sink.db.recordByMid(s.threadId, op.fromMessageId);
        if (r) sink.db.hideAfter(s.threadId, r.seq - 1);
      }
    }
    sink.db.putSession(s.key, s.threadId, toV, s.state);
  });
  s.v = toV;
  s.reconciled = true;
}

/**
 * Finishes creations a crash interrupted (keys starting with `prefix`): a thread made with an
 * import key but never recorded is found by its `meta.importKey` and adopted (its parent link
 * added if missing).
 */
export async function resolvePending(sink: Sink, prefix: string): Promise<void> {
  // Only the source's own keys: another source's import may be creating its threads right now.
  const keys = new Set(sink.db.pendingKeys().filter((k) => k.startsWith(prefix)));
  if (keys.size === 0) return;
  let cursor: string | undefined;
  do {
    const page = await sink.store.listThreads({ limit: 500, ...(cursor && { cursor }) });
    for (const t of page.threads) {
      const k = t.meta?.importKey;
      if (typeof k !== 'string' || !keys.has(k) || sink.db.session(k)) continue;
      const parentId = t.mainThreadID ?? t.originThreadID;
      if (parentId) {
        const p = await sink.store.info(parentId);
        const linked = t.mainThreadID ? p?.childThreadIDs.includes(t.id) : p?.summaryThreadIDs.includes(t.id);
        if (p && !linked) await sink.store.append(parentId, { type: t.mainThreadID ? 'child:link' : 'summary:link', threadId: t.id });
      }
      sink.db.putSession(k, t.id, t.v, {});
    }
    cursor = page.nextCursor;
  } while (cursor);
  for (const k of keys) sink.db.setPending(k, false);
}
