/**
 * Live follow (`skein import SOURCE --watch`): after a first import, imports again whenever the
 * folders change. Changes are noticed by `fs.watch` (recursive) and, as a fallback for file
 * systems that do not report them, by polling every 250 ms; each round reads only files whose
 * size or time changed, from where the last round stopped. A last line still being written
 * waits for its newline; new session files are picked up by the next round.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Store } from '../store/store.js';
import { discoverUnits, importerOf, resolvePaths, runImport } from './run.js';
import { StateDb } from './state-db.js';
import type { ImportOptions, ImportResult } from './types.js';

/** Options of {@link watchTranscripts}. */
export interface WatchOptions extends ImportOptions {
  /** Called after every round that changed something (the first round always). */
  onRound: (r: ImportResult) => void;
  /** Stops watching. */
  signal: AbortSignal;
  /** Polling interval in ms (default 250). */
  pollMs?: number;
}

/** Follows an agent's folders until `signal` aborts (see the module comment). */
export async function watchTranscripts(store: Store, options: WatchOptions): Promise<void> {
  const importer = importerOf(options.source);
  const paths = await resolvePaths(importer, options.paths, options.env ?? process.env);
  const db = StateDb.acquire(store);
  let wake: (() => void) | undefined;
  const watchers: FSWatcher[] = [];
  for (const p of paths) {
    try {
      watchers.push(watch(p, { recursive: true }, () => wake?.()));
    } catch {
      // Polling covers it.
    }
  }
  const stop = () => wake?.();
  options.signal.addEventListener('abort', stop);
  try {
    let first = true;
    while (!options.signal.aborted) {
      const units = await discoverUnits(importer, paths);
      const changed = first
        ? units
        : units.filter((u) => {
            const f = db.file(u.path);
            return !f || f.size !== u.size || f.mtime !== u.mtimeMs;
          });
      if (changed.length > 0) {
        const r = await runImport(store, importer, changed, { ...options, live: true });
        if (options.signal.aborted) break;
        if (first || r.threads.created + r.threads.updated > 0 || r.skipped.length > 0) options.onRound(r);
      } else if (first) options.onRound({ threads: { created: 0, updated: 0, unchanged: 0 }, messages: 0, skipped: [] });
      first = false;
      if (options.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.pollMs ?? 250);
        wake = () => {
          clearTimeout(t);
          // Let a burst of writes land before reading.
          setTimeout(resolve, 20);
        };
      });
      wake = undefined;
    }
  } finally {
    StateDb.release(store);
    options.signal.removeEventListener('abort', stop);
    for (const w of watchers) w.close();
  }
}
