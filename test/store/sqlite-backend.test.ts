import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteBackend } from '../../src/index.js';
import { runStoreContractTests } from '../../src/testing/contract.js';

runStoreContractTests('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-'));
  const backend = openSqliteBackend(join(dir, 'skein.db'));
  return {
    backend,
    teardown: async () => {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
