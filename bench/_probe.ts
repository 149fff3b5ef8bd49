import { performance } from 'node:perf_hooks';
import { SyncEngine } from '../src/sync/engine.js';
import { SyncHttpClient } from '../src/sync/http-client.js';
import { SqliteSyncState } from '../src/sync/sync-state.js';
import { SqliteBackend } from '../src/store/sqlite/sqlite-backend.js';
import { Store } from '../src/store/store.js';
const stats = new Map<string, { n: number; ms: number }>();
function wrap(proto: any, name: string, label = name) {
  const orig = proto[name];
  proto[name] = function (...args: unknown[]) {
    const t0 = performance.now();
    const done = () => { const s = stats.get(label) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t0; stats.set(label, s); };
    const r = orig.apply(this, args);
    if (r && typeof r.then === 'function') return r.finally(done);
    done(); return r;
  };
}
for (const m of ['push', 'pull', 'rebase', 'settle', 'applyChange', 'dirtyThreads']) wrap(SyncEngine.prototype, m, 'engine.' + m);
for (const m of ['push', 'pull', 'threadOps']) wrap(SyncHttpClient.prototype, m, 'http.' + m);
for (const m of ['set', 'get', 'all', 'setCursor']) wrap(SqliteSyncState.prototype, m, 'state.' + m);
for (const m of ['commit', 'ops', 'hasOp', 'getHead', 'opsSince', 'rewrite']) wrap(SqliteBackend.prototype, m, 'sqlite.' + m);
for (const m of ['importThread', 'applyRemoteOps', 'rebaseLog', 'info']) wrap(Store.prototype, m, 'store.' + m);
(globalThis as any).__probe = { reset: () => stats.clear(), dump: (title: string) => { console.error('== ' + title); for (const [k, v] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.error(`  ${k.padEnd(22)} n=${String(v.n).padStart(6)} ms=${v.ms.toFixed(0)}`); stats.clear(); } };
