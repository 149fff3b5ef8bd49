import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type ThreadID } from '../../src/index.js';
import { killChild, spawnChild, type Child } from '../helpers/child-process.js';
import { seededRandom, tempDir } from '../helpers/store-fixtures.js';

/** The lease TTL of the tests that wait for a lease to expire: short, so they are quick. */
const TTL = 500;

/** Starts a writer process on the store and waits until its store is open. */
async function writerProcess(dir: string, id: ThreadID, children: Child[], ttl = TTL): Promise<Child> {
  const child = spawnChild('writer-child.ts', [dir, id, String(ttl)]);
  children.push(child);
  assert.equal((await child.next()).ready, true);
  return child;
}

async function contents(dir: string, id: ThreadID): Promise<string[]> {
  const store = await openStore({ dir });
  try {
    return (await store.getThread(id))!.messages.map((m) => m.content);
  } finally {
    await store.close();
  }
}

describe('writers across real processes', () => {
  let dir: string;
  let cleanup: () => void;
  let children: Child[] = [];
  let id: ThreadID;

  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  async function freshThread(): Promise<ThreadID> {
    const store = await openStore({ dir });
    try {
      return (await store.createThread()).id;
    } finally {
      await store.close();
    }
  }

  test('two processes race for one writer: exactly one gets it, the other gets THREAD_BUSY', async () => {
    id = await freshThread();
    children = [];
    try {
      // Nothing here waits for an expiry, so a long TTL keeps a busy machine from expiring the lease.
      const [a, b] = await Promise.all([writerProcess(dir, id, children, 30_000), writerProcess(dir, id, children, 30_000)]);
      a!.send({ cmd: 'acquire' });
      b!.send({ cmd: 'acquire' });
      const answers = await Promise.all([a!.next(), b!.next()]);
      const winner = answers[0]!.acquired ? a! : b!;
      const loser = winner === a ? b! : a!;
      assert.deepEqual(
        answers.map((x) => (x.acquired ? 'acquired' : x.error)).sort(),
        ['THREAD_BUSY', 'acquired'],
      );
      winner.send({ cmd: 'write', content: 'from the winner' });
      assert.deepEqual(await winner.next(), { wrote: 2 });
      loser.send({ cmd: 'acquire' });
      assert.deepEqual(await loser.next(), { error: 'THREAD_BUSY' });
      // Once the winner exits (releasing), the other gets the writer at once.
      winner.send({ cmd: 'exit' });
      assert.deepEqual(await winner.exited, { code: 0, signal: null });
      loser.send({ cmd: 'acquire' });
      assert.equal((await loser.next()).acquired, true);
      loser.send({ cmd: 'write', content: 'from the other' });
      assert.deepEqual(await loser.next(), { wrote: 3 });
      assert.deepEqual(await contents(dir, id), ['from the winner', 'from the other']);
    } finally {
      await Promise.all(children.map(killChild));
    }
  });

  test('a holder killed with SIGKILL: another process takes over once the lease expires, and can write', async () => {
    id = await freshThread();
    children = [];
    try {
      const a = await writerProcess(dir, id, children);
      a.send({ cmd: 'acquire' });
      const held = await a.next();
      assert.equal(held.acquired, true);
      a.send({ cmd: 'write', content: 'before the crash' });
      assert.deepEqual(await a.next(), { wrote: 2 });
      a.proc.kill('SIGKILL');
      assert.equal((await a.exited).signal, 'SIGKILL');
      const b = await writerProcess(dir, id, children);
      b.send({ cmd: 'acquire', waitMs: 10 * TTL });
      const took = await b.next();
      assert.equal(took.acquired, true, `takeover: ${JSON.stringify(took)}`);
      assert.ok((took.token as number) > (held.token as number), 'a higher fencing token');
      assert.equal(took.v, 2);
      b.send({ cmd: 'write', content: 'after the takeover' });
      assert.deepEqual(await b.next(), { wrote: 3 });
      assert.deepEqual(await contents(dir, id), ['before the crash', 'after the takeover']);
    } finally {
      await Promise.all(children.map(killChild));
    }
  });

  test('a stale writer paused past its lease (SIGSTOP) gets LEASE_LOST on resume and writes nothing', async () => {
    id = await freshThread();
    children = [];
    try {
      const a = await writerProcess(dir, id, children);
      a.send({ cmd: 'acquire' });
      assert.equal((await a.next()).acquired, true);
      a.send({ cmd: 'write', content: 'a before the pause' });
      assert.deepEqual(await a.next(), { wrote: 2 });
      a.proc.kill('SIGSTOP');
      const b = await writerProcess(dir, id, children);
      b.send({ cmd: 'acquire', waitMs: 10 * TTL });
      assert.equal((await b.next()).acquired, true);
      b.send({ cmd: 'write', content: 'b while a sleeps' });
      assert.deepEqual(await b.next(), { wrote: 3 });
      a.proc.kill('SIGCONT');
      a.send({ cmd: 'write', content: 'a after waking' });
      assert.deepEqual(await a.next(), { error: 'LEASE_LOST' });
      a.send({ cmd: 'write', content: 'a again' });
      assert.deepEqual(await a.next(), { error: 'LEASE_LOST' });
      b.send({ cmd: 'write', content: 'b still holds it' });
      assert.deepEqual(await b.next(), { wrote: 4 });
      assert.deepEqual(await contents(dir, id), ['a before the pause', 'b while a sleeps', 'b still holds it']);
    } finally {
      await Promise.all(children.map(killChild));
    }
  });
});

test('crash loop: an appender killed at random moments never loses an acknowledged message', async (t) => {
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rounds = Number(process.env.SKEIN_CRASH_ROUNDS ?? 20);
  t.diagnostic(`crash loop seed ${seed} (SKEIN_CRASH_SEED=${seed} repeats it), ${rounds} rounds`);
  const rand = seededRandom(seed);
  const { dir, cleanup } = tempDir();
  const acked: string[] = [];
  const children: Child[] = [];
  try {
    const setup = await openStore({ dir });
    const id = (await setup.createThread({ title: 'crash loop' })).id;
    await setup.close();
    let killedMidway = 0;
    const start = (round: number) => {
      const c = spawnChild('append-loop-child.ts', [dir, id, `r${round}`]);
      children.push(c);
      return c;
    };
    let next = start(0);
    for (let round = 0; round < rounds; round++) {
      const child = next;
      child.proc.stdin!.write('go\n');
      assert.equal(await child.nextLine(), 'ready');
      // The next round loads meanwhile; it opens the store only when told to go.
      if (round + 1 < rounds) next = start(round + 1);
      // Kill at a random moment: often while an append is in flight, sometimes before the first.
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 120)));
      child.proc.kill('SIGKILL');
      assert.equal((await child.exited).signal, 'SIGKILL', `round ${round}: ${child.stderr()}`);
      const ids = child.lines.slice(1);
      if (ids.length > 0) killedMidway++;
      acked.push(...ids);

      const db = new Database(join(dir, 'skein.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round} (seed ${seed})`);
      } finally {
        db.close();
      }
      const store = await openStore({ dir });
      try {
        const thread = (await store.getThread(id))!;
        const history = await store.history(id);
        assert.equal(thread.v, history.length, `round ${round} (seed ${seed}): v equals the log length`);
        const present = new Set(thread.messages.map((m) => m.id));
        const lost = acked.filter((m) => !present.has(m));
        assert.deepEqual(lost, [], `round ${round} (seed ${seed}): acknowledged messages lost`);
        assert.equal(present.size, thread.messages.length, 'no message twice');
        assert.equal((await store.loadPage(id, { limit: 1 })).totalMessages, thread.messages.length);
      } finally {
        await store.close();
      }
    }
    t.diagnostic(`${acked.length} acknowledged appends; ${killedMidway}/${rounds} rounds killed after some were acknowledged`);
    assert.ok(acked.length > 0, 'the appender got to write at all');
  } finally {
    await Promise.all(children.map(killChild));
    cleanup();
  }
});
