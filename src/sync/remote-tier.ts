/**
 * The server tier of the store's reads (the store's `RemoteTier` port): a thread this replica
 * lacks is fetched whole from the server. Offline, or unknown there, is a miss; a refused token
 * is reported, not taken for a miss.
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import type { Op } from '../model/types.js';
import type { RemoteTier } from '../store/ports.js';
import type { SyncHttpClient } from './http-client.js';
import type { SyncStateStore } from './sync-state.js';

/** See the module comment. */
export class HttpRemoteTier implements RemoteTier {
  constructor(
    private readonly client: SyncHttpClient,
    private readonly state: SyncStateStore,
  ) {}

  async fetchThread(id: ThreadID): Promise<Op[] | undefined> {
    try {
      const r = await this.client.threadOps(id, 0);
      return r.ops.length > 0 ? r.ops : undefined;
    } catch (err) {
      if (err instanceof SkeinError && (err.code === ErrorCode.UNAUTHORIZED || err.code === ErrorCode.FORBIDDEN)) throw err;
      return undefined;
    }
  }

  stored(id: ThreadID, v: number): void {
    this.state.set(id, { ...this.state.get(id), syncedV: v, remoteV: v });
  }
}
