/**
 * Any JSON a caller may send round-trips exactly (property test): meta, env, tool input and tool
 * output holding any JSON, keys such as `__proto__`, `constructor` and `prototype` included, come
 * back as they were written from a SQLite store (also after a reopen), a memory store, an
 * archived thread (read from its entry, then restored), and another device through a real
 * `skein serve` (read through the server tier, and pulled). Postgres: json-roundtrip.int.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openStore } from '../../src/index.js';
import { anyPayload, assertPayload, writePayload } from '../helpers/json-data.js';
import { startServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { openDevice } from '../helpers/sync-devices.js';
import { tempDir } from '../helpers/store-fixtures.js';

const RUNS = { numRuns: 25, seed: 7007 };

describe('any JSON round-trips', () => {
  test('through a SQLite store, a reopen, and a memory store', async () => {
    const tmp = tempDir();
    try {
      await fc.assert(
        fc.asyncProperty(anyPayload, async (p) => {
          const store = await openStore({ dir: tmp.dir });
          const id = await writePayload(store, p);
          assertPayload(await store.getThread(id), p, 'sqlite');
          await store.close();
          const again = await openStore({ dir: tmp.dir });
          assertPayload(await again.getThread(id), p, 'sqlite after reopen');
          await again.close();
          const mem = await openStore({ dir: ':memory:' });
          assertPayload(await mem.getThread(await writePayload(mem, p)), p, 'memory');
          await mem.close();
        }),
        RUNS,
      );
    } finally {
      tmp.cleanup();
    }
  });

  test('through the archive and a restore', async () => {
    const tmp = tempDir();
    let clock = Date.UTC(2024, 0, 1);
    const store = await openStore({ dir: tmp.dir, now: () => clock });
    try {
      await fc.assert(
        fc.asyncProperty(anyPayload, async (p) => {
          const id = await writePayload(store, p);
          clock += 31 * 86_400_000;
          await store.archiveInactiveThreads();
          assertPayload(await store.getThread(id), p, 'archived');
          assertPayload(await store.restoreThread(id), p, 'restored');
        }),
        RUNS,
      );
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });

  describe('through sync', () => {
    let data: string;
    let server: ServerProcess;
    let token: string;
    before(async () => {
      data = mkdtempSync(join(tmpdir(), 'skein-server-'));
      server = await startServerProcess({ data });
      token = await server.token('json');
    });
    after(async () => {
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    });

    test('to another device, read through the server tier and pulled', async () => {
      const a = await openDevice('json-a', server.url, token, { memory: true });
      const b = await openDevice('json-b', server.url, token, { memory: true });
      const c = await openDevice('json-c', server.url, token, { memory: true });
      try {
        await fc.assert(
          fc.asyncProperty(anyPayload, async (p) => {
            const id = await writePayload(a.store, p);
            await a.store.sync.now();
            assertPayload(await b.store.getThread(id), p, 'tiered read');
            await c.store.sync.now();
            assertPayload(await c.store.getThread(id), p, 'pulled');
          }),
          { ...RUNS, numRuns: 15 },
        );
      } finally {
        for (const d of [a, b, c]) await d.close();
      }
    });
  });
});
