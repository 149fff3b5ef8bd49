import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqliteBackend } from '../../src/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SEARCH_MIGRATION } from '../../src/store/sqlite/search-sql.js';
import { tempStore } from '../helpers/workspace.js';
import { WITHOUT_TITLE_COLUMNS } from '../helpers/schema-downgrade.js';

test('a store made before search gets its messages and titles indexed when it is opened', async () => {
  const t = await tempStore();
  try {
    const th = await t.store.createThread({ title: 'legacy thread' });
    await t.store.append(th.id, [
      { type: 'user:message', message: { content: 'written before the index existed' } },
      { type: 'assistant:message', message: { content: 'hidden later' } },
      { type: 'thread:truncate', fromIndex: 1 },
    ]);
    // Turn the database back into the schema before search: no search tables, version 2.
    const db = (t.store['core'].backend as SqliteBackend).db;
    db.exec(`DROP TRIGGER search_message_queued; DROP TRIGGER search_message_hidden; DROP TRIGGER search_message_deleted;
      DROP TRIGGER search_title_changed; DROP TABLE search_fts; DROP TABLE search_docs; DROP TABLE search_pending;
      ${WITHOUT_TITLE_COLUMNS}`);
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.indexOf(SEARCH_MIGRATION)}`);
    await t.store.close();
    await t.reopen();
    const found = await t.store.search('index* OR legacy');
    assert.deepEqual(found.results.map((r) => r.messageId === null ? 'title' : 'message').sort(), ['message', 'title']);
    assert.deepEqual((await t.store.search('hidden')).results, [], 'hidden messages stay out');
    assert.equal((await t.store.reindex()).documents, 2);
  } finally {
    await t.dispose();
  }
});
