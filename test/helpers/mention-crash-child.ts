/**
 * For the mention-queue crash test: `node --import tsx test/helpers/mention-crash-child.ts <store dir>`.
 * Makes threads `a` and `c` (printed as JSON), then appends to `c` a message naming `a`. The
 * commit that would link `a` with it fails as a race (so the link is queued with the message),
 * and the process kills itself the moment the message's commit is done: before any drain.
 */
import { join } from 'node:path';
import { openStore, SqliteBackend, VersionConflictError, type CommitBatch, type ThreadID } from '../../src/index.js';

const dir = process.argv[2]!;
const real = new SqliteBackend(join(dir, 'skein.db'));
let armed = false;
const backend = new Proxy(real, {
  get(target, key, receiver) {
    const value = Reflect.get(target, key, receiver) as unknown;
    if (key !== 'commit') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    return async (batches: CommitBatch[], now: number) => {
      if (armed && batches.length > 1) throw new VersionConflictError(batches[1]!.threadId, 1, 2);
      await real.commit(batches, now);
      if (armed && batches.some((b) => (b.mentions ?? []).length > 0)) process.kill(process.pid, 'SIGKILL');
    };
  },
});
const store = await openStore({ dir, backend });
const a: ThreadID = (await store.createThread({ title: 'a' })).id;
const c: ThreadID = (await store.createThread({ title: 'c' })).id;
process.stdout.write(JSON.stringify({ a, c }) + '\n');
armed = true;
await store.append(c, { type: 'user:message', message: { content: `see ${a}` } });
process.stdout.write('not killed\n');
