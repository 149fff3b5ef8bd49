import { MemoryBackend, runStoreContractTests } from '../../src/index.js';

runStoreContractTests('memory', async () => {
  const backend = new MemoryBackend();
  return { backend, teardown: () => backend.close() };
});
