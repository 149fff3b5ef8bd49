/**
 * Catches up a store's search index in its own process and dies in the middle, for the crash test:
 * `node --import tsx test/helpers/search-index-child.ts <store dir> <entries>`. Once `entries`
 * ops or queued rows are indexed (between two slices) it prints `killing` and SIGKILLs itself.
 */
import { openStore } from '../../src/index.js';

const [dir, entries] = process.argv.slice(2);
const store = await openStore({ dir: dir!, durability: 'normal' });
await store.indexSearch({
  onProgress: (p) => {
    if (p.done < Number(entries)) return;
    process.stdout.write('killing\n');
    process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('finished\n');
await store.close();
