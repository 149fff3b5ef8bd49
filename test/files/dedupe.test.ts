import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { openStore, type ThreadID } from '../../src/index.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';

describe('file change tracking: contents are stored once, compressed', () => {
  let t: TempStore;
  let id: ThreadID;
  before(async () => {
    t = await tempStore();
    id = (await t.store.createThread()).id;
  });
  after(() => t.dispose());

  test('the same content recorded twice is stored once', async () => {
    const content = 'export const answer = 42;\n'.repeat(400);
    writeFileSync(t.at('a.ts'), content);
    writeFileSync(t.at('b.ts'), content);
    const r1 = await t.store.files.recordFileChange(id, 'op1', { path: 'a.ts', type: 'modify', newContent: content + 'x' });
    const first = await t.store.diskUsage();
    assert.equal(first.blobs.count, 2, 'before and after of one change');

    const r2 = await t.store.files.recordFileChange(id, 'op2', { path: 'b.ts', type: 'modify', newContent: content + 'x' });
    const r3 = await t.store.files.recordFileChange(id, 'op3', { path: 'c.ts', type: 'create', newContent: Buffer.from(content, 'utf8') });
    assert.equal(r2.before, r1.before);
    assert.equal(r2.after, r1.after);
    assert.equal(r3.after, r1.before, 'a string and the same bytes are the same content');
    const second = await t.store.diskUsage();
    assert.equal(second.blobs.count, 2, 'no new blob for content seen before');
    assert.equal(second.blobs.storedBytes, first.blobs.storedBytes);
    assert.equal(second.blobs.wholeBytes, 5 * content.length + 2, 'kept whole, the five contents would take this');
    assert.equal(second.blobs.savedByDedupe, 3 * content.length + 1);
    assert.ok(second.blobs.savedByCompression > 0 && second.blobs.storedBytes < content.length / 10, `compressed to ${second.blobs.storedBytes} bytes`);
  });

  test('a memory store dedupes the same way', async () => {
    const store = await openStore({ dir: ':memory:', workspace: t.ws });
    try {
      const th = await store.createThread();
      await store.files.recordFileChange(th.id, 'o', { path: 'm1.txt', type: 'create', newContent: 'same' });
      await store.files.recordFileChange(th.id, 'o', { path: 'm2.txt', type: 'create', newContent: 'same' });
      assert.equal((await store.diskUsage()).blobs.count, 1);
    } finally {
      await store.close();
    }
  });
});
