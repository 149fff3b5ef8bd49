/**
 * `POST /v1/sync/push`: what the server does with a push request once its token is known and its
 * body parsed, shared by the Hono route (app.ts) and the direct path of the HTTP server
 * (push-listener.ts), so both answer alike.
 */
import { ErrorCode, fromUnknown } from '../errors.js';
import type { StorageBackend } from '../store/backend.js';
import { KeyedQueue } from '../store/keyed-queue.js';
import type { Store } from '../store/store.js';
import { isThreadId } from '../model/ids.js';
import { MAX_PUSH_OPS, MAX_PUSH_THREADS, parsePushRequest, PROTOCOL_VERSION, type PushResponse, type PushResult } from '../sync/protocol.js';
import { GroupCommit } from './group-commit.js';
import type { Metrics } from './metrics.js';
import { applyPushedThread, HeadCache, onlyOwnOpsSince, pullCursorOf } from './push.js';
import type { ServerStorage } from './server-storage.js';
import { noteAfterPush, visibleIds } from './visibility.js';

/** A push's answer: its status, body and extra headers. */
export interface PushAnswer {
  status: 200 | 503;
  body: PushResponse;
  headers: Record<string, string>;
}

/** Takes a push request of `user` in workspace `ws`: `body` is the parsed JSON, `cursorHeader` the client's pull cursor. */
export type PushHandler = (ws: string, user: string, body: unknown, cursorHeader: string | undefined) => Promise<PushAnswer>;

type PushRequestEnvelope = ReturnType<typeof parsePushRequest>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/**
 * A push request's envelope checked by a direct walk, for the common request: undefined unless
 * the schema (`parsePushRequest`) accepts it as it is; then the schema runs and names the field.
 */
export function plainPushRequest(v: unknown): PushRequestEnvelope | undefined {
  if (!isObject(v)) return undefined;
  for (const k of Object.keys(v)) if (k !== 'type' && k !== 'protocol' && k !== 'clientId' && k !== 'threads') return undefined;
  if ((v.type !== undefined && v.type !== 'push') || (v.protocol !== undefined && v.protocol !== PROTOCOL_VERSION)) return undefined;
  const { clientId, threads } = v;
  if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 64 || !Array.isArray(threads) || threads.length > MAX_PUSH_THREADS) return undefined;
  for (const t of threads as unknown[]) {
    if (!isObject(t)) return undefined;
    let n = 0;
    for (const k of Object.keys(t)) {
      if (k !== 'id' && k !== 'baseVersion' && k !== 'ops') return undefined;
      n++;
    }
    const { id, baseVersion, ops } = t;
    if (n !== 3 || !isThreadId(id) || typeof baseVersion !== 'number' || !Number.isSafeInteger(baseVersion) || baseVersion < 0 || !Array.isArray(ops) || ops.length > MAX_PUSH_OPS) return undefined;
  }
  return v as PushRequestEnvelope;
}

/** Builds the push handler over what the app holds. */
export function pushHandler(deps: { storage: ServerStorage; metrics: Metrics; now: () => number; storeOf: (ws: string) => Promise<Store> }): PushHandler {
  const { storage, metrics, now, storeOf } = deps;
  /** Pushes to one thread are applied one at a time in this process. */
  const queues = new KeyedQueue<string>();
  /** The heads this process last wrote (push.ts): a push on one of them skips reading it. */
  const heads = new HeadCache();
  /**
   * SQLite commits of one loop turn go in one transaction (group-commit.ts), one WAL write and one
   * sync. Postgres commits stay one statement each (batch-sql.ts); the database already shares
   * WAL flushes between concurrent commits.
   */
  const groups = new Map<string, GroupCommit>();
  const groupOf = (ws: string, backend: StorageBackend): GroupCommit | undefined => {
    if (backend.kind !== 'sqlite') return undefined;
    let g = groups.get(ws);
    if (!g) groups.set(ws, (g = new GroupCommit(backend)));
    return g;
  };

  return async (ws, user, body, cursorHeader): Promise<PushAnswer> => {
    const req = plainPushRequest(body) ?? parsePushRequest(body);
    const backend = await storage.backend(ws);
    const group = groupOf(ws, backend);
    // Another user's private thread cannot be written (nor its existence learned) by a push.
    const visible = await visibleIds(storage, ws, user, req.threads.map((t) => t.id));
    const settled = await Promise.allSettled(
      req.threads.map((t) =>
        queues.run(`${ws}/${t.id}`, async () => {
          if (!visible.has(t.id)) return { id: t.id, status: 'rejected' as const, code: ErrorCode.NOT_FOUND, message: `thread ${t.id} not found`, applied: 0 };
          // Only a backend that commits on a remembered head (Postgres) gains from remembering it.
          const remember = backend.commitIfHead && { heads: { cache: heads, key: `${ws}/${t.id}` } };
          const r = await applyPushedThread(backend, t, now(), { ...remember, ...(group && { commit: (b, at) => group.commit(b, at) }) });
          if (r.applied > 0) await noteAfterPush(storage, await storeOf(ws), ws, user, t.id, t.ops);
          return r;
        }),
      ),
    );
    const results: PushResult[] = [];
    const applied = settled.reduce((n, s) => n + (s.status === 'fulfilled' ? s.value.applied : 0), 0);
    // Whether the ops after the client's pull cursor are all this push's (then it need not pull);
    // that answer's newest seq is also the cursor of the pokes, else it is read when something was stored.
    const since = pullCursorOf(cursorHeader);
    const upTo = since === undefined ? undefined : await onlyOwnOpsSince(backend, since, applied);
    const cursor = upTo ?? (applied > 0 ? await backend.maxSeq() : 0);
    for (const [i, s] of settled.entries()) {
      const id = req.threads[i]!.id;
      if (s.status === 'rejected') {
        const e = fromUnknown(s.reason);
        console.error(`skein serve: push ${id}: ${e.message}`);
        results.push({ id, status: 'rejected', code: ErrorCode.SERVER, message: 'the server failed to store this thread; retry later' });
        continue;
      }
      const { applied, ...r } = s.value;
      results.push(r);
      metrics.inc('skein_sync_push_threads_total', { status: r.status });
      if (r.status === 'conflict') metrics.inc('skein_sync_conflicts_total');
      if (applied > 0) {
        metrics.inc('skein_sync_pushed_ops_total', {}, applied);
        // The push is committed: a failed poke must not turn it into an error (clients pull on their interval).
        await storage.publish(ws, { id, v: (r as { v: number }).v, cursor }).catch((err: unknown) =>
          console.error(`skein serve: poke for ${id} failed: ${fromUnknown(err).message}`),
        );
      }
    }
    // A failure of the server itself is a 5xx so that clients back off and retry.
    const failed = results.some((r) => r.status === 'rejected' && r.code === ErrorCode.SERVER);
    const answer: PushResponse = { type: 'push:result', protocol: PROTOCOL_VERSION, threads: results, ...(upTo !== undefined && !failed && { cursor: upTo }) };
    return { status: failed ? 503 : 200, body: answer, headers: failed ? { 'retry-after': '1' } : ({} as Record<string, string>) };
  };
}
