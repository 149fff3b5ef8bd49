/**
 * Imports Claude Code transcripts into a store in a child process, printing a JSON line per
 * progress report, so that a test can kill it (-9) in the middle.
 * Usage: import-child.ts <storeDir> <path>
 */
import { importTranscripts, openStore } from '../../src/index.js';

const [dir, path] = process.argv.slice(2) as [string, string];
const store = await openStore({ dir });
const r = await importTranscripts(store, {
  source: 'claude-code',
  paths: [path],
  onProgress: (p) => process.stdout.write(JSON.stringify({ progress: p }) + '\n'),
});
process.stdout.write(JSON.stringify({ done: r.messages }) + '\n');
await store.close();
