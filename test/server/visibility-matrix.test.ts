/**
 * Visibility on a real `skein serve` over SQLite: every route x visibility x {creator, another
 * user, no token}, share links and their revocation, pushes and event pokes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { visibilityMatrix } from '../helpers/visibility-world.js';

visibilityMatrix('visibility on a SQLite server', async () => {
  const data = mkdtempSync(join(tmpdir(), 'skein-vis-server-'));
  return { choice: { data }, drop: async () => rmSync(data, { recursive: true, force: true }) };
});
