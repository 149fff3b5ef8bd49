import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { SkeinError } from '../../src/index.js';
import { bytesOf, tempStore, type TempStore } from '../helpers/workspace.js';

describe('file change tracking: rewind', () => {
  let t: TempStore;
  before(async () => {
    t = await tempStore();
  });
  after(() => t.dispose());

  test('rewind to a message reverts every change recorded after it, across operations, and nothing before', async () => {
    const s = t.store;
    const th = await s.createThread();
    writeFileSync(t.at('app.ts'), 'v0');
    await s.append(th.id, { type: 'user:message', message: { content: 'first request' } });
    await s.files.recordFileChange(th.id, 'call-1', { path: 'app.ts', type: 'modify', newContent: 'v1' });
    writeFileSync(t.at('app.ts'), 'v1');
    await s.append(th.id, { type: 'user:message', message: { content: 'second request' } });
    const secondId = (await s.getThread(th.id))!.messages.at(-1)!.id;
    await s.files.recordFileChange(th.id, 'call-2', { path: 'app.ts', type: 'modify', newContent: 'v2' });
    writeFileSync(t.at('app.ts'), 'v2');
    await s.append(th.id, { type: 'assistant:message', message: { content: 'done' } });
    await s.files.recordFileChange(th.id, 'call-3', { path: 'notes.md', type: 'create', newContent: 'notes' });
    writeFileSync(t.at('notes.md'), 'notes');

    const r = await s.files.rewind(th.id, { toMessageId: secondId });
    assert.deepEqual(r.reverted.sort(), ['app.ts', 'notes.md']);
    assert.deepEqual(r.operations, ['call-3', 'call-2']);
    assert.equal(bytesOf(t.at('app.ts'))?.toString(), 'v1', 'the change made before the message stays');
    assert.equal(bytesOf(t.at('notes.md')), null);
    const after = await s.getThread(th.id);
    assert.equal(after?.messages.length, 3, 'the conversation itself is not changed');

    await assert.rejects(s.files.rewind(th.id, { toMessageId: 'no-such-message' }), (e: unknown) => e instanceof SkeinError && e.code === 'NOT_FOUND');
  });
});
