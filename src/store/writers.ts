/** Handing out a thread's exclusive writer (DESIGN section 2): a fenced lease in the thread's backend. */
import { ThreadBusyError, archivedError } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { isArchived, readThread, type ReadContext } from './reads.js';
import { mentionWrite } from './mentions.js';
import { ThreadWriter, type WriterHost } from './writer.js';

/**
 * Takes the thread's exclusive writer; THREAD_BUSY when another writer holds it (in this process
 * or another) and it does not free up within `waitMs`; ARCHIVED for an archived thread.
 */
export async function acquireWriter(ctx: ReadContext, id: ThreadID, waitMs: number): Promise<ThreadWriter> {
  const { core } = ctx;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await core.mustLocate(id);
    const { backend } = found;
    if (await isArchived(ctx, found)) throw archivedError(id, 'before writing');
    if (!core.writers.has(id)) {
      const token = await backend.acquireLease(id, core.owner, core.config.leaseTtlMs, core.now());
      if (token !== undefined) {
        const thread = await readThread(ctx, id, undefined);
        const host: WriterHost = {
          backend,
          clientId: core.config.clientId,
          leaseTtlMs: core.config.leaseTtlMs,
          now: () => core.now(),
          afterWrite: (before, ops, batch) => core.afterWrite(id, before, ops, batch),
          mentions: () => mentionWrite(core, id),
          released: (w) => {
            if (core.writers.get(id) === w) core.writers.delete(id);
          },
        };
        const writer = new ThreadWriter(host, thread!, { owner: core.owner, token });
        core.writers.set(id, writer);
        return writer;
      }
    }
    if (Date.now() >= deadline) {
      const lease = await backend.lease(id);
      const mine = core.writers.has(id) ? ' by this store' : lease ? ` until ${new Date(lease.expires).toISOString()}` : '';
      throw new ThreadBusyError(id, `thread ${id} is held by another writer${mine}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
  }
}
