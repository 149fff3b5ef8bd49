/**
 * The store's reads answered by a `skein serve` server over HTTP instead of a local replica: the
 * same shapes as `Store.listThreads`, `info`, `loadPage`, `getThread`, `search`,
 * `getThreadTree` and `usage`, each answer validated (read-protocol.ts). What the token's user may
 * not see on the server does not exist here either. A thread the server does not know is null
 * (`info`, `getThread`) or NOT_FOUND; any other refusal (401, 503, ...) is thrown as the client's
 * SkeinError, its message naming the server's reason.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Thread } from '../model/types.js';
import type { ThreadTree, UsageReport } from '../store/relations.js';
import type { SearchOptions, SearchResults } from '../store/search/search.js';
import type { MessagePage, ThreadInfo, ThreadSummary } from '../store/types.js';
import { SyncHttpClient, type RemoteOptions } from './http-client.js';
import { parseRead } from './read-protocol.js';

/** A query string of the defined values. */
function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

const path = (id: ThreadID, rest = '') => `/v1/threads/${encodeURIComponent(id)}${rest}`;

/** See the module comment. */
export class ServerReads {
  private readonly client: SyncHttpClient;

  constructor(options: RemoteOptions) {
    this.client = new SyncHttpClient(options);
  }

  /** A GET whose 404 means "no such thread" (null); a 404 for a route this server lacks says so. */
  private async maybe<T>(route: string, parse: (v: unknown) => T): Promise<T | null> {
    try {
      return await this.client.read(route, parse);
    } catch (err) {
      if (err instanceof SkeinError && err.code === ErrorCode.NOT_FOUND) {
        if (/no route/.test(err.message)) throw new SkeinError(ErrorCode.SERVER, `the server does not offer ${route.split('?')[0]} (an older skein serve?): ${err.message}`);
        return null;
      }
      throw err;
    }
  }

  private async must<T>(id: ThreadID, route: string, parse: (v: unknown) => T): Promise<T> {
    const v = await this.maybe(route, parse);
    if (v === null) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} not found`);
    return v;
  }

  listThreads(options: { limit?: number; cursor?: string } = {}): Promise<{ threads: ThreadSummary[]; nextCursor?: string }> {
    return this.client.read(`/v1/threads${query(options)}`, parseRead.list);
  }

  info(id: ThreadID): Promise<ThreadInfo | null> {
    return this.maybe(path(id, '/info'), parseRead.info);
  }

  getThread(id: ThreadID): Promise<Thread | null> {
    return this.maybe(path(id), parseRead.thread);
  }

  loadPage(id: ThreadID, options: { limit?: number; offset?: number; before?: string; after?: string } = {}): Promise<MessagePage> {
    return this.must(id, path(id, `/messages${query(options)}`), parseRead.page);
  }

  search(q: string, options: SearchOptions = {}): Promise<SearchResults> {
    return this.client.read(`/v1/search${query({ q, ...options })}`, parseRead.search);
  }

  getThreadTree(id: ThreadID): Promise<ThreadTree> {
    return this.must(id, path(id, '/tree'), parseRead.tree);
  }

  usage(id: ThreadID, options: { tree?: boolean; byDay?: boolean } = {}): Promise<UsageReport> {
    return this.must(id, path(id, `/usage${query(options)}`), parseRead.usage);
  }

  /** Ends requests in flight. */
  close(): void {
    this.client.abortAll();
  }
}
