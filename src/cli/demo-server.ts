/**
 * Seeds the `demo` workspace of a server: plays the demo session into a throwaway store and
 * stores its threads' logs in the workspace, so a fresh server has something to show.
 */
import { openStore } from '../index.js';
import { applyPushedThread } from '../server/push.js';
import type { ServerStorage } from '../server/server-storage.js';
import { playDemoSession } from './demo-session.js';

/** Plays the demo into the `demo` workspace (once: a seeded workspace is left as it is) and returns a new token for it. */
export async function seedDemoWorkspace(storage: ServerStorage): Promise<string> {
  if ((await (await storage.backend('demo')).maxSeq()) > 0) return storage.createToken('demo');
  const store = await openStore({ dir: ':memory:', clientId: 'demo' });
  try {
    await playDemoSession(store);
    const backend = await storage.backend('demo');
    const { threads } = await store.listThreads({ limit: 1000 });
    // Oldest activity first, so that the server's activity order (by op sequence) is the session's.
    for (const t of [...threads].reverse()) {
      const r = await applyPushedThread(backend, { id: t.id, baseVersion: 0, ops: await store.history(t.id) }, Date.now());
      if (r.status !== 'ok') throw new Error(`seeding ${t.id}: ${r.status === 'rejected' ? r.message : r.status}`);
    }
  } finally {
    await store.close();
  }
  return storage.createToken('demo');
}
