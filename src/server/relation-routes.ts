/**
 * Read-only routes over one thread's head and what hangs off it, for clients that answer from the
 * server instead of a replica (`skein mcp --remote`): `GET /v1/threads/:id/info` (the head
 * without messages), `/tree` (sub-agents and summaries, recursively, with thread-map neighbours)
 * and `/usage?tree=&byDay=` (tokens and cost). Each checks that the token's user may see the
 * thread, and every other thread reached from it is checked too: one the user may not see is left
 * out of the tree, its neighbours and its cost, and its id out of the heads shown, as if it did
 * not exist.
 */
import { Hono, type Context } from 'hono';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { parseThreadId } from '../model/schema.js';
import { threadTree, usageReport, type RelationsHost } from '../store/relations.js';
import type { Store } from '../store/store.js';
import type { ThreadInfo } from '../store/types.js';
import type { ServerStorage } from './server-storage.js';
import { mustSee, visibleIds } from './visibility.js';

type Env = { Variables: { workspace: string; user: string } };

/** What the routes read. */
export interface RelationRouteOptions {
  storage: ServerStorage;
  storeOf(workspace: string): Promise<Store>;
}

function boolParam(c: Context, name: string): boolean {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ValidationError(name, 'must be true or false');
}

/** See the module comment. Mounted behind the `/v1` token check, which sets `workspace` and `user`. */
export function relationRoutes({ storage, storeOf }: RelationRouteOptions): Hono<Env> {
  const app = new Hono<Env>();

  /** The thread (checked), the store, and the reads of relations limited to what the user may see. */
  async function scope(c: Context<Env>): Promise<{ id: ThreadID; host: RelationsHost }> {
    const ws = c.get('workspace');
    const user = c.get('user');
    const id = parseThreadId(c.req.param('id'), 'id');
    await mustSee(storage, ws, user, id);
    const store = await storeOf(ws);
    const backend = await storage.backend(ws);
    const sees = async (tid: ThreadID) => (await visibleIds(storage, ws, user, [tid])).has(tid);
    // A head names other threads (sub-agents, summaries, links): only those the user may see are kept.
    const scrub = async (info: ThreadInfo | null): Promise<ThreadInfo | null> => {
      if (!info) return null;
      const named = [...info.childThreadIDs, ...info.summaryThreadIDs, ...(info.links ?? []).map((l) => l.threadId)];
      if (named.length === 0) return info;
      const ok = await visibleIds(storage, ws, user, [...new Set(named)]);
      const links = (info.links ?? []).filter((l) => ok.has(l.threadId));
      const { links: _l, ...rest } = info;
      return {
        ...rest,
        childThreadIDs: info.childThreadIDs.filter((t) => ok.has(t)),
        summaryThreadIDs: info.summaryThreadIDs.filter((t) => ok.has(t)),
        ...(links.length > 0 && { links }),
      };
    };
    const host: RelationsHost = {
      getThread: async (tid) => ((await sees(tid)) ? store.getThread(tid) : null),
      info: async (tid) => ((await sees(tid)) ? scrub(await store.info(tid)) : null),
      // Only ever asked for threads the tree walk reached through `info`, i.e. visible ones.
      usageRows: (ids, by) => backend.usage(ids, by),
    };
    return { id, host };
  }

  app.get('/v1/threads/:id/info', async (c) => {
    const { id, host } = await scope(c);
    const info = await host.info(id);
    if (!info) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return c.json(info);
  });

  app.get('/v1/threads/:id/tree', async (c) => {
    const { id, host } = await scope(c);
    return c.json(await threadTree(host, id));
  });

  app.get('/v1/threads/:id/usage', async (c) => {
    const tree = boolParam(c, 'tree');
    const byDay = boolParam(c, 'byDay');
    const { id, host } = await scope(c);
    return c.json(await usageReport(host, id, { tree, byDay }));
  });

  return app;
}
