/**
 * A process that holds (or tries to hold) a thread's writer, driven by JSON-line commands on
 * stdin. Usage: writer-child.ts <storeDir> <threadId> <leaseTtlMs>
 *   { cmd: 'acquire', waitMs? } -> { acquired: true, token, v } | { error: code }
 *   { cmd: 'write', content }   -> { wrote: v } | { error: code }
 *   { cmd: 'exit' }             -> disposes the writer, closes the store, exits
 */
import { createInterface } from 'node:readline';
import { SkeinError, openStore, type ThreadID, type ThreadWriter } from '../../src/index.js';

const [dir, threadId, ttl] = process.argv.slice(2) as [string, ThreadID, string];
const store = await openStore({ dir, leaseTtlMs: Number(ttl) });
let writer: ThreadWriter | undefined;
const say = (x: unknown) => process.stdout.write(JSON.stringify(x) + '\n');
const fail = (err: unknown) => say({ error: err instanceof SkeinError ? err.code : String(err) });
say({ ready: true, pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  const c = JSON.parse(line) as { cmd: string; waitMs?: number; content?: string };
  try {
    if (c.cmd === 'acquire') {
      writer = await store.acquireWriter(threadId, { waitMs: c.waitMs ?? 0 });
      say({ acquired: true, token: writer.fence.token, v: writer.thread.v });
    } else if (c.cmd === 'write') {
      if (!writer) throw new Error('no writer');
      const t = await writer.apply({ type: 'user:message', message: { content: c.content ?? '' } });
      say({ wrote: t.v });
    } else if (c.cmd === 'exit') {
      await store.close();
      process.exit(0);
    }
  } catch (err) {
    fail(err);
  }
}
