/**
 * Opens a store and imports Claude Code transcripts when told to, so that a test can start two
 * real processes on the same store and let them import at the same moment. Prints `{ ready }`
 * once the store is open, waits for one stdin line, then prints `{ done, skipped }`.
 * Usage: import-race-child.ts <storeDir> <path>
 */
import { createInterface } from 'node:readline';
import { importTranscripts, openStore } from '../../src/index.js';

const [dir, path] = process.argv.slice(2) as [string, string];
const store = await openStore({ dir, cacheSize: 2 });
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const r = await importTranscripts(store, { source: 'claude-code', paths: [path] });
process.stdout.write(JSON.stringify({ done: r.messages, skipped: r.skipped.length }) + '\n');
await store.close();
process.stdin.destroy();
