import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { openStore, type ThreadID } from '../../src/index.js';
import { skein, skeinJson } from '../helpers/cli.js';
import { tempStore, type TempStore } from '../helpers/workspace.js';

describe('command line: files, rollback, rewind, archive, restore, du', () => {
  let t: TempStore;
  let id: ThreadID;
  let secondMessage: string;
  before(async () => {
    t = await tempStore();
    const s = t.store;
    id = (await s.createThread({ title: 'cli files', env: { cwd: t.ws } })).id;
    writeFileSync(t.at('a.txt'), 'a0');
    await s.append(id, { type: 'user:message', message: { content: 'first' } });
    await s.files.recordFileChange(id, 'call-1', { path: 'a.txt', type: 'modify', newContent: 'a1' });
    writeFileSync(t.at('a.txt'), 'a1');
    await s.append(id, { type: 'user:message', message: { content: 'second' } });
    secondMessage = (await s.getThread(id))!.messages.at(-1)!.id;
    await s.files.recordFileChange(id, 'call-2', { path: 'b.txt', type: 'create', newContent: 'b1' });
    writeFileSync(t.at('b.txt'), 'b1');
    await s.close();
  });
  after(() => t.dispose());

  test('files lists the changes; rollback reverts one operation and reports conflicts with exit 1', async () => {
    const listed = await skeinJson<{ changes: { path: string; operationId: string }[] }>(['files', id, '--dir', t.dir]);
    assert.deepEqual(listed.changes.map((c) => [c.operationId, c.path]), [['call-1', 'a.txt'], ['call-2', 'b.txt']]);
    const human = await skein(['files', id, '--dir', t.dir]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /call-2\s+create\s+b\.txt/);

    writeFileSync(t.at('a.txt'), 'edited by the person');
    const conflict = await skein(['rollback', id, 'call-1', '--dir', t.dir, '--json']);
    assert.equal(conflict.code, 1);
    assert.deepEqual(JSON.parse(conflict.stdout).conflicts, ['a.txt']);
    assert.match(conflict.stderr, /^skein: 1 file left untouched/);
    assert.equal(readFileSync(t.at('a.txt'), 'utf8'), 'edited by the person');

    const forced = await skeinJson<{ reverted: string[] }>(['rollback', id, 'call-1', '--force', '--dir', t.dir]);
    assert.deepEqual(forced.reverted, ['a.txt']);
    assert.equal(readFileSync(t.at('a.txt'), 'utf8'), 'a0');
    const unknown = await skein(['rollback', id, 'nope', '--dir', t.dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not found/);
  });

  test('rewind reverts what came after a message', async () => {
    const r = await skeinJson<{ reverted: string[]; operations: string[] }>(['rewind', id, secondMessage, '--dir', t.dir]);
    assert.deepEqual(r.reverted, ['b.txt']);
    assert.deepEqual(r.operations, ['call-2']);
    const human = await skein(['rewind', id, secondMessage, '--dir', t.dir]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /already\s+b\.txt/);
  });

  test('archive, du and restore', async () => {
    const bad = await skein(['archive', '--older-than', '30 days', '--dir', t.dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--older-than/);
    const none = await skeinJson<{ archived: string[] }>(['archive', '--dir', t.dir]);
    assert.deepEqual(none.archived, [], 'nothing is 30 days old');
    const r = await skeinJson<{ archived: string[]; skipped: unknown[] }>(['archive', '--older-than', '0s', '--dir', t.dir]);
    assert.deepEqual(r, { archived: [id], skipped: [] });

    const du = await skeinJson<{ threads: { id: string; archived: boolean; archiveBytes: number }[]; archive: { entries: number; saved: number } }>(['du', '--dir', t.dir]);
    assert.equal(du.threads[0]?.archived, true);
    assert.ok(du.threads[0]!.archiveBytes > 0);
    assert.equal(du.archive.entries, 1);
    const human = await skein(['du', '--dir', t.dir]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /archive: 1 entries/);

    const restored = await skeinJson<{ id: string; archived?: number; messages: unknown[] }>(['restore', id, '--dir', t.dir]);
    assert.equal(restored.id, id);
    assert.equal(restored.archived, undefined);
    assert.equal(restored.messages.length, 2);
    const again = await skein(['restore', id, '--dir', t.dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /not archived/);

    const store = await openStore({ dir: t.dir });
    try {
      assert.equal((await store.files.list(id)).length, 2, 'file records came back');
    } finally {
      await store.close();
    }
  });
});
