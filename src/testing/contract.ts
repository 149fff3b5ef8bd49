/**
 * The storage contract suite: one set of node:test tests that every backend (memory, SQLite,
 * Postgres, a user's own) must pass, so they all behave the same under the store. A backend's
 * test file is a few lines:
 *
 *   runStoreContractTests('sqlite', async () => ({ backend, teardown: () => backend.close() }));
 *
 * Each test gets a fresh, empty backend from `setup` and calls `teardown` after it. The data is
 * made by the pure core exactly as the store makes it (see contract-fixtures.ts).
 */
import { describe, test } from 'node:test';
import type { StorageBackend } from '../store/backend.js';
import { commitContractTests } from './contract-commit.js';
import type { ContractTest } from './contract-fixtures.js';
import { hiddenContractTests } from './contract-hidden.js';
import { leaseContractTests } from './contract-leases.js';
import { linkContractTests } from './contract-links.js';
import { metaContractTests } from './contract-meta.js';
import { mentionContractTests } from './contract-mentions.js';
import { lifecycleContractTests } from './contract-lifecycle.js';
import { readContractTests } from './contract-reads.js';
import { searchContractTests } from './contract-search.js';

/** What `setup` gives each test: a fresh, empty backend and how to dispose of it. */
export interface ContractSetup {
  backend: StorageBackend;
  teardown(): Promise<void>;
}

/**
 * Registers the contract tests for one backend under `describe('storage contract: <name>')`.
 * Ships in the package so that a custom backend can prove it behaves like the built-in ones.
 */
export function runStoreContractTests(name: string, setup: () => Promise<ContractSetup>): void {
  const it: ContractTest = (title, fn) =>
    test(title, async () => {
      const { backend, teardown } = await setup();
      try {
        await fn(backend);
      } finally {
        await teardown();
      }
    });
  describe(`storage contract: ${name}`, () => {
    commitContractTests(it);
    readContractTests(it);
    leaseContractTests(it);
    hiddenContractTests(it);
    linkContractTests(it);
    metaContractTests(it);
    mentionContractTests(it);
  });
  describe(`storage contract: ${name}: archiving`, () => {
    lifecycleContractTests(it);
  });
  describe(`storage contract: ${name}: search`, () => {
    searchContractTests(it);
  });
}
