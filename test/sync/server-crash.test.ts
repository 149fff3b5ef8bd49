/**
 * The server killed with SIGKILL mid-sync and restarted, on embedded SQLite: nothing it
 * acknowledged is lost, nothing any device wrote is lost or doubled, every device ends identical
 * to the server (the scenario is in test/helpers/server-crash.ts; the PostgreSQL run is
 * server-crash.int.test.ts).
 */
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerCrashScenario } from '../helpers/server-crash.js';

test('SQLite server killed with SIGKILL mid-sync and restarted: nothing lost', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'skein-server-'));
  try {
    await runServerCrashScenario({ data }, (line) => t.diagnostic(line));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
