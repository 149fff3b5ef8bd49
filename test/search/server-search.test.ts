import { describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverSearchTests } from '../helpers/server-search.js';

describe('GET /v1/search on embedded SQLite (FTS5)', () => {
  const data = mkdtempSync(join(tmpdir(), 'skein-search-server-'));
  serverSearchTests(
    async () => ({ data }),
    async () => rmSync(data, { recursive: true, force: true }),
  );
});
