import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ThreadID } from '../../src/index.js';
import { bytesOf, listFiles, tempStore, type TempStore } from '../helpers/workspace.js';

const CHILD = fileURLToPath(new URL('../helpers/rollback-child.ts', import.meta.url));
const FILES = 200;

interface Planned {
  rel: string;
  before: Buffer | null;
  after: Buffer | null;
}

describe('file change tracking: a rollback killed half-way', () => {
  let t: TempStore;
  let id: ThreadID;
  const planned: Planned[] = [];
  before(async () => {
    t = await tempStore();
    id = (await t.store.createThread()).id;
    mkdirSync(t.at('src'));
    for (let i = 0; i < FILES; i++) {
      const rel = `src/f${i}.bin`;
      const kind = i % 6 === 0 ? 'create' : i % 6 === 1 ? 'delete' : 'modify';
      const beforeBytes = kind === 'create' ? null : randomBytes(8192 + i);
      const afterBytes = kind === 'delete' ? null : randomBytes(8192 + 2 * i);
      if (beforeBytes) writeFileSync(t.at(rel), beforeBytes);
      await t.store.files.recordFileChange(id, 'big-op', { path: rel, type: kind, ...(afterBytes && { newContent: afterBytes }) });
      if (afterBytes) writeFileSync(t.at(rel), afterBytes);
      else rmSync(t.at(rel));
      planned.push({ rel, before: beforeBytes, after: afterBytes });
    }
    await t.store.close();
  });
  after(() => t.dispose());

  const isBefore = (p: Planned) => {
    const now = bytesOf(t.at(p.rel));
    return p.before === null ? now === null : now !== null && now.equals(p.before);
  };
  const isAfter = (p: Planned) => {
    const now = bytesOf(t.at(p.rel));
    return p.after === null ? now === null : now !== null && now.equals(p.after);
  };

  test('every file ends byte-exactly before or after, none half-written; a second run finishes the job', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, t.dir, t.ws, id, 'big-op'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
      child.on('exit', () => reject(new Error('the child ended before starting')));
    });
    // Kill once some files are back and others are not: the middle of the run.
    let reverted = 0;
    for (let i = 0; i < 2000 && reverted < FILES / 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
      reverted = planned.filter(isBefore).length;
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', 'the child was killed, it did not finish');

    const halfway = planned.filter(isBefore).length;
    assert.ok(halfway > 0 && halfway < FILES, `killed half-way: ${halfway} of ${FILES} files reverted`);
    for (const p of planned) assert.ok(isBefore(p) || isAfter(p), `${p.rel} is neither its before nor its after state`);

    await t.reopen({ durability: 'full' });
    const result = await t.store.files.rollbackOperation(id, 'big-op');
    assert.deepEqual(result.conflicts, []);
    assert.deepEqual(result.failed, []);
    assert.equal(result.reverted.length + result.alreadyReverted.length, FILES);
    for (const p of planned) assert.ok(isBefore(p), `${p.rel} is back to its before state`);
    assert.deepEqual(
      listFiles(t.ws).filter((f) => !f.startsWith('src/f')),
      [],
      'no temp files left',
    );
  });
});
