/**
 * Runs one rollback in its own process, for the crash test: `node --import tsx
 * test/helpers/rollback-child.ts <store dir> <workspace> <thread id> <operation id>`. Prints
 * `started` just before the rollback and the result as JSON after it.
 */
import { openStore, type ThreadID } from '../../src/index.js';

const [dir, workspace, threadId, operationId] = process.argv.slice(2);
const store = await openStore({ dir: dir!, workspace: workspace! });
process.stdout.write('started\n');
const result = await store.files.rollbackOperation(threadId as ThreadID, operationId!);
process.stdout.write(JSON.stringify(result) + '\n');
await store.close();
