/**
 * `skein export`: a thread (or, with `tree`, the thread and its sub-agent and summary threads)
 * as `json` (whole threads), `jsonl` (the op log, one op a line: lossless, `skein import skein`
 * brings back the same ids, versions and bytes), `markdown` (a readable transcript) or `raw`
 * (the source records an import kept verbatim, as they were written).
 */
import { ErrorCode, SkeinError, ValidationError } from '../errors.js';
import type { ThreadID } from '../model/types.js';
import type { Store } from '../store/store.js';
import type { ThreadTree } from '../store/relations.js';
import { StateDb } from '../import/state-db.js';
import { markdownOf } from './markdown.js';

/** The export formats. */
export type ExportFormat = 'json' | 'jsonl' | 'markdown' | 'raw';

/** Options of {@link exportThreads}. */
export interface ExportOptions {
  format: ExportFormat;
  /** Include the sub-agent and summary threads, recursively (parents first). */
  tree?: boolean;
}

const FORMATS: ReadonlySet<string> = new Set(['json', 'jsonl', 'markdown', 'raw']);

/** The ids of a thread's tree, parents before children. */
async function treeIds(store: Store, id: ThreadID): Promise<ThreadID[]> {
  const out: ThreadID[] = [];
  const walk = (t: ThreadTree) => {
    out.push(t.thread.id);
    t.children.forEach(walk);
    t.summaries.forEach(walk);
  };
  walk(await store.getThreadTree(id));
  return out;
}

/** The export as text chunks (stream them out; a big thread is never one string in the jsonl form). */
export async function* exportThreads(store: Store, id: ThreadID, options: ExportOptions): AsyncGenerator<string> {
  if (!FORMATS.has(options.format)) throw new ValidationError('format', `must be one of json, jsonl, markdown, raw`);
  const head = await store.info(id);
  if (!head) throw new SkeinError(ErrorCode.NOT_FOUND, `no thread ${id}`);
  const ids = options.tree ? await treeIds(store, id) : [id];
  switch (options.format) {
    case 'jsonl':
      for (const tid of ids) for (const op of await store.history(tid)) yield JSON.stringify(op) + '\n';
      return;
    case 'json': {
      const threads = [];
      for (const tid of ids) threads.push(await store.getThread(tid));
      yield JSON.stringify(options.tree ? { threads } : threads[0], null, 2) + '\n';
      return;
    }
    case 'markdown':
      for (const [i, tid] of ids.entries()) {
        const t = await store.getThread(tid);
        if (!t) continue;
        if (i > 0) yield '\n---\n\n';
        yield markdownOf(t, await store.usage(tid));
      }
      return;
    case 'raw': {
      const db = StateDb.acquire(store);
      let any = false;
      try {
        for (const tid of ids)
          for (const r of db.rawRecords(tid)) {
            any = true;
            yield r.text + '\n';
          }
      } finally {
        StateDb.release(store);
      }
      if (!any) throw new SkeinError(ErrorCode.NOT_FOUND, `thread ${id} has no kept source records (it was not imported from an agent's files)`);
      return;
    }
  }
}
