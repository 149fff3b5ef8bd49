/**
 * Imports and mentions. An importer that turns a transcript into messages goes through
 * `store.append`, so a transcript naming a thread links it like any other message; a skein JSONL
 * import copies ops as they are (the mention's link travels as an op of the named thread), so it
 * adds no link of its own and a re-import still fits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportThreads, importTranscripts, openStore, type Store, type ThreadID } from '../../src/index.js';
import { tempDir } from '../helpers/store-fixtures.js';
import { SESSION, assistant, jsonl, user } from './cc-records.js';

async function text(gen: AsyncGenerator<string>): Promise<string> {
  let s = '';
  for await (const c of gen) s += c;
  return s;
}

const mentionOps = async (s: Store, id: ThreadID) => (await s.history(id)).filter((op) => op.type === 'mention:link');

describe('imports link mentions like appends do', () => {
  test('a Claude Code transcript naming a thread links it to the imported thread', async () => {
    const tmp = tempDir();
    try {
      await using store = await openStore({ dir: join(tmp.dir, 'store') });
      const named = (await store.createThread({ title: 'earlier work' })).id;
      const projects = join(tmp.dir, 'projects', '-home-dev-my-project');
      mkdirSync(projects, { recursive: true });
      const transcript = jsonl([user('u1', null, `Carry on from ${named} please`), assistant('a1', 'u1', 'msg_1', 'req_1', { type: 'text', text: `Reading @${named}.` }, { output_tokens: 5 })]);
      writeFileSync(join(projects, `${SESSION}.jsonl`), transcript);
      const r = await importTranscripts(store, { source: 'claude-code', paths: [join(tmp.dir, 'projects')] });
      assert.equal(r.threads.created, 1);
      const imported = (await store.listThreads()).threads.find((t) => t.id !== named)!;
      const links = (await store.info(named))!.links ?? [];
      assert.equal(links.length, 2, 'one link per message that names it');
      assert.ok(links.every((l) => l.rel === 'mention' && l.threadId === imported.id));
      // Importing the same transcript again (rewritten, so that it is read) adds nothing.
      writeFileSync(join(projects, `${SESSION}.jsonl`), transcript);
      await importTranscripts(store, { source: 'claude-code', paths: [join(tmp.dir, 'projects')] });
      assert.equal((await mentionOps(store, named)).length, 2);
    } finally {
      tmp.cleanup();
    }
  });

  test('a skein JSONL import copies the link op once and adds none; importing it again changes nothing', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'export.jsonl');
      let named: ThreadID;
      let naming: ThreadID;
      {
        await using a = await openStore({ dir: join(tmp.dir, 'a') });
        named = (await a.createThread({ title: 'named' })).id;
        naming = (await a.createThread({ title: 'naming' })).id;
        await a.append(naming, { type: 'user:message', message: { content: `see ${named}` } });
        writeFileSync(file, (await text(exportThreads(a, named, { format: 'jsonl' }))) + (await text(exportThreads(a, naming, { format: 'jsonl' }))));
      }
      await using b = await openStore({ dir: join(tmp.dir, 'b') });
      const r = await importTranscripts(b, { source: 'skein', paths: [file] });
      assert.deepEqual(r.threads, { created: 2, updated: 0, unchanged: 0 });
      assert.equal((await mentionOps(b, named)).length, 1);
      assert.deepEqual((await b.info(named))!.links?.map((l) => l.threadId), [naming]);
      const again = await importTranscripts(b, { source: 'skein', paths: [file] });
      assert.deepEqual(again.threads, { created: 0, updated: 0, unchanged: 2 });
      assert.deepEqual(again.skipped, []);
    } finally {
      tmp.cleanup();
    }
  });
});
