/**
 * A process that appends to one thread in a loop and prints each message id once its append has
 * resolved (so a printed id is a promise that the message is durable). It loads, waits for one
 * line on stdin (so the next round can start loading while the last one is checked), opens the
 * store, prints `ready`, and appends until it is killed.
 * Usage: append-loop-child.ts <storeDir> <threadId> <label>
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { openStore, type ThreadID } from '../../src/index.js';

const [dir, threadId, label] = process.argv.slice(2) as [string, ThreadID, string];
await once(createInterface({ input: process.stdin }), 'line');
const store = await openStore({ dir });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = `${label}-${i}`;
  const deltas = [
    { type: 'user:message' as const, message: { id, content: `message ${i}` } },
    ...(i % 3 === 0 ? [{ type: 'assistant:message' as const, message: { id: `${id}-r`, content: 'reply', resourceUsage: { model: 'm', inputTokens: i } } }] : []),
  ];
  await store.append(threadId, deltas);
  process.stdout.write(id + '\n');
}
