import { MemoryBackend } from '../../src/index.js';
import { runStoreContractTests } from '../../src/testing/contract.js';

runStoreContractTests('memory', async () => {
  const backend = new MemoryBackend();
  return { backend, teardown: () => backend.close() };
});
