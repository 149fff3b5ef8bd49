/**
 * Search: N messages indexed (default 20,000 x scale; `SKEIN_BENCH_SEARCH_N` sets N, e.g.
 * 1000000), index bytes on disk per message, query p50/p99 for common words, a common phrase, a
 * rare word, a prefix and a file path, on the local store (FTS5) and on PostgreSQL (tsvector +
 * GIN; skipped when SKEIN_PG_URL=skip). Baselines in the same run: the same query as a LIKE /
 * ILIKE scan of the op log (what finding a word costs without an index), and one-message appends
 * with the index against the same store without it (SQLite: as shipped, batched before the next
 * search, and kept in every commit; PostgreSQL: its triggers dropped).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresBackend, openStore, type Delta, type SqliteBackend, type Store, type ThreadID } from '../src/index.js';
import { SEARCH_MIGRATION as SQLITE_SEARCH_MIGRATION } from '../src/store/sqlite/search-sql.js';
import { messageDeltas } from './fixtures.js';
import { now, progress, sampleTurns, scaled, stats, tempDir, type BenchResult, type Benchmark, type ResultRow } from './helpers.js';

const PG_URL = process.env.SKEIN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PER_THREAD = 1000;
const BATCH = 500;
// Fewer rounds on a big corpus: a scan baseline of a million messages takes seconds per query.
const roundsFor = (n: number): number => (n > 100_000 ? 10 : 40);

/** The corpus: the shared fixture messages, with a rare word (`quasarK`) in about one message in a thousand. */
function corpus(start: number, count: number): Delta[] {
  return messageDeltas(start, count).map((d, j) => {
    const i = start + j;
    if (i % 997 !== 0 || !('message' in d)) return d;
    return { ...d, message: { ...d.message, content: `${d.message.content} quasar${(i / 997) % 50}` } } as Delta;
  });
}

/** Loads N messages into a store, PER_THREAD per thread, BATCH per transaction. */
async function load(store: Store, n: number, label: string): Promise<number> {
  const t0 = now();
  let id: ThreadID | undefined;
  for (let i = 0; i < n; i += BATCH) {
    if (i % PER_THREAD === 0) id = (await store.createThread({ title: `search bench thread ${i / PER_THREAD}`, env: { cwd: '/bench' } })).id;
    await store.append(id!, corpus(i, Math.min(BATCH, n - i)));
    if (i % 100_000 === 0 && i > 0) progress(`${label}: ${i} messages loaded`);
  }
  return now() - t0;
}

/** The queries timed: [label, skein query, LIKE pattern of the baseline]. */
const QUERIES: [string, string, string][] = [
  ['common word', 'file', '%file%'],
  ['two common words', 'thread commit', '%thread%commit%'],
  ['common phrase', '"message store"', '%message store%'],
  ['rare word', 'quasar7', '%quasar7%'],
  ['prefix', 'quasar*', '%quasar%'],
  ['file path', 'src/query/index.ts', '%src/query/index.ts%'],
];

/** Times each query against its scan baseline, taking turns; rows of p50 and p99 (ms). */
async function timeQueries(where: string, n: number, search: (q: string) => Promise<unknown>, scan: (like: string) => Promise<unknown>): Promise<{ rows: ResultRow[]; details: unknown[] }> {
  const rows: ResultRow[] = [];
  const details: unknown[] = [];
  for (const [label, q, like] of QUERIES) {
    progress(`${where}: ${label} (${q})`);
    const [s, b] = await sampleTurns(roundsFor(n), [() => search(q), () => scan(like)]);
    const ss = stats(s!);
    const bs = stats(b!);
    rows.push({ metric: `search ${where}: ${label}, p50`, unit: 'ms', skein: ss.median, baseline: bs.median, ratio: ss.median / bs.median });
    rows.push({ metric: `search ${where}: ${label}, p99`, unit: 'ms', skein: ss.p99, baseline: bs.p99, ratio: ss.p99 / bs.p99 });
    details.push({ label, query: q, rounds: roundsFor(n), skein: ss, scan: bs });
  }
  return { rows, details };
}

/** Opens one store with one thread for the append-cost comparison. */
async function appendTarget(label: string): Promise<{ store: Store; thread: ThreadID; db: SqliteBackend['db'] }> {
  const store = await openStore({ dir: tempDir(label), durability: 'normal' });
  return { store, thread: (await store.createThread({ title: label })).id, db: (store['core'].backend as SqliteBackend).db };
}

/** The trigger that indexed a message in its own commit (migration 2, replaced by the batch in migration 3). */
const IN_COMMIT_TRIGGER = /CREATE TRIGGER search_message_added[\s\S]*?END;/.exec(SQLITE_SEARCH_MIGRATION)![0];

/**
 * Appends one message at a time, taking turns in chunks of 250, to three SQLite stores: as
 * shipped (the batch that indexes the chunk, run before the next search, is timed with it), with
 * the index kept inside every append's commit (the trigger the batch replaced), and with no index
 * (its triggers dropped, never caught up). Answers messages per second of each.
 */
async function appendCostSqlite(count: number): Promise<{ batched: number; inCommit: number; without: number }> {
  const a = await appendTarget('search-append-batched');
  const c = await appendTarget('search-append-in-commit');
  const b = await appendTarget('search-append-plain');
  c.db.exec(`DROP TRIGGER search_message_queued; ${IN_COMMIT_TRIGGER}`);
  b.db.exec('DROP TRIGGER search_message_queued; DROP TRIGGER search_message_hidden; DROP TRIGGER search_message_deleted; DROP TRIGGER search_title_changed;');
  const deltas = corpus(0, count);
  const targets = [a, c, b];
  const ms = [0, 0, 0];
  for (let start = 0, turn = 0; start < count; start += 250, turn++) {
    const chunk = deltas.slice(start, start + 250);
    for (let j = 0; j < targets.length; j++) {
      const k = (j + turn) % targets.length;
      const s = targets[k]!;
      const t0 = now();
      for (const d of chunk) await s.store.append(s.thread, d);
      if (s === a) await a.store.indexSearch();
      ms[k]! += now() - t0;
    }
  }
  const hits = (await a.store.search('quasar0', { limit: 100 })).results.length + (await c.store.search('quasar0', { limit: 100 })).results.length;
  if (hits === 0) throw new Error('append cost: the indexed stores found nothing');
  for (const s of targets) await s.store.close();
  const rate = (k: number) => (count / ms[k]!) * 1000;
  return { batched: rate(0), inCommit: rate(1), without: rate(2) };
}

/** The same on PostgreSQL (indexed in the commit by its triggers), against a schema with the triggers dropped. */
async function appendCostPostgres(count: number): Promise<{ withIndex: number; without: number }> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const schemas = [0, 1].map(() => `skein_bench_${randomBytes(4).toString('hex')}`);
  try {
    const targets: { store: Store; thread: ThreadID }[] = [];
    for (const schema of schemas) {
      const store = await openStore({ dir: ':memory:', backend: await openPostgresBackend({ pool, schema, workspace: 'bench' }) });
      targets.push({ store, thread: (await store.createThread({ title: schema })).id });
    }
    await pool.query(
      `DROP TRIGGER search_message_added ON "${schemas[1]}".messages; DROP TRIGGER search_message_hidden ON "${schemas[1]}".messages;
       DROP TRIGGER search_message_deleted ON "${schemas[1]}".messages; DROP TRIGGER search_title_changed ON "${schemas[1]}".threads;`,
    );
    const deltas = corpus(0, count);
    const ms = [0, 0];
    for (let start = 0, turn = 0; start < count; start += 100, turn++) {
      const chunk = deltas.slice(start, start + 100);
      for (const k of turn % 2 === 0 ? [0, 1] : [1, 0]) {
        const t0 = now();
        for (const d of chunk) await targets[k]!.store.append(targets[k]!.thread, d);
        ms[k]! += now() - t0;
      }
    }
    if ((await targets[0]!.store.search('quasar0', { limit: 100 })).results.length === 0) throw new Error('append cost: postgres found nothing');
    for (const t of targets) await t.store.close();
    return { withIndex: (count / ms[0]!) * 1000, without: (count / ms[1]!) * 1000 };
  } finally {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

async function localRun(n: number): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const dir = tempDir('search-local');
  const store = await openStore({ dir, durability: 'normal' });
  progress(`local: loading ${n} messages`);
  const appendMs = await load(store, n, 'local');
  const db = (store['core'].backend as SqliteBackend).db;
  // The appends left the messages to the batch that runs before the first search: run it now, so
  // that the sizes below include the index and the first query timed does not pay for it.
  progress('local: indexing the loaded messages');
  const t0 = now();
  await store.indexSearch();
  const catchUpMs = now() - t0;
  const loadMs = appendMs + catchUpMs;
  const sizes = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
  const sum = (f: (name: string) => boolean) => sizes.filter((s) => f(s.name)).reduce((a, s) => a + s.bytes, 0);
  const indexBytes = sum((x) => x.startsWith('search_'));
  const opsBytes = sum((x) => x === 'ops');
  const scan = db.prepare('SELECT count(*) FROM ops WHERE body LIKE ?');
  const q = await timeQueries('local', n, (query) => store.search(query, { limit: 20 }), async (like) => scan.get(like));
  await store.close();
  const rows: ResultRow[] = [
    { metric: `search local: ${n} messages indexed, load (appends + index batch)`, unit: 'msgs/s', skein: (n / loadMs) * 1000 },
    { metric: 'search local: index batch after the load', unit: 'ms', skein: catchUpMs },
    { metric: 'search local: index bytes per message (vs op log bytes)', unit: 'B', skein: indexBytes / n, baseline: opsBytes / n, ratio: indexBytes / opsBytes },
    ...q.rows,
  ];
  return { rows, details: { messages: n, loadMs, appendMs, catchUpMs, indexBytes, opsBytes, sizes, queries: q.details, baseline: 'LIKE scan of the op log' } };
}

async function postgresRun(n: number): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const schema = `skein_bench_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  try {
    const backend = await openPostgresBackend({ pool, schema, workspace: 'bench' });
    const store = await openStore({ dir: ':memory:', backend });
    progress(`postgres: loading ${n} messages`);
    const loadMs = await load(store, n, 'postgres');
    await pool.query(`VACUUM ANALYZE "${schema}".search_docs`);
    const size = async (rel: string) => Number((await pool.query(`SELECT pg_total_relation_size('"${schema}".${rel}') AS b`)).rows[0].b);
    const indexBytes = await size('search_docs');
    const opsBytes = await size('ops');
    const q = await timeQueries(
      'postgres',
      n,
      (query) => store.search(query, { limit: 20 }),
      (like) => pool.query(`SELECT count(*) FROM "${schema}".ops WHERE ws = 'bench' AND body ILIKE $1`, [like]),
    );
    await store.close();
    const rows: ResultRow[] = [
      { metric: `search postgres: ${n} messages indexed, load`, unit: 'msgs/s', skein: (n / loadMs) * 1000 },
      { metric: 'search postgres: index bytes per message (vs op log bytes)', unit: 'B', skein: indexBytes / n, baseline: opsBytes / n, ratio: indexBytes / opsBytes },
      ...q.rows,
    ];
    return { rows, details: { messages: n, loadMs, indexBytes, opsBytes, queries: q.details, baseline: 'ILIKE scan of the op log' } };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

export const searchBench: Benchmark = {
  name: 'search',
  title: 'full-text search: index size, query latency (local FTS5, PostgreSQL), append cost of the index',
  async run(): Promise<BenchResult> {
    const n = process.env.SKEIN_BENCH_SEARCH_N ? Number(process.env.SKEIN_BENCH_SEARCH_N) : scaled(20_000, 1000);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error('SKEIN_BENCH_SEARCH_N must be a positive integer');
    const appends = scaled(4000, 500);
    progress(`append ${appends} messages one at a time: index batched before the next search, index in the commit, no index`);
    const cost = await appendCostSqlite(appends);
    const rows: ResultRow[] = [
      {
        metric: 'search local: append, index batched before the next search (vs no index)',
        unit: 'msgs/s',
        skein: cost.batched,
        baseline: cost.without,
        ratio: cost.batched / cost.without,
        target: '>= 0.5',
        pass: cost.batched / cost.without >= 0.5,
      },
      { metric: 'search local: append, index in the commit (vs no index)', unit: 'msgs/s', skein: cost.inCommit, baseline: cost.without, ratio: cost.inCommit / cost.without },
    ];
    const details: Record<string, unknown> = { appendCost: { messages: appends, ...cost, durability: 'normal', chunk: 250 } };
    if (PG_URL !== 'skip') {
      const pgAppends = scaled(1000, 200);
      progress(`postgres: append ${pgAppends} messages one at a time, with and without the search triggers`);
      const p = await appendCostPostgres(pgAppends);
      rows.push({ metric: 'search postgres: append with the index (vs without)', unit: 'msgs/s', skein: p.withIndex, baseline: p.without, ratio: p.withIndex / p.without });
      details.appendCostPostgres = { messages: pgAppends, ...p };
    }
    const local = await localRun(n);
    rows.push(...local.rows);
    details.local = local.details;
    if (PG_URL === 'skip') details.postgres = 'skipped (SKEIN_PG_URL=skip)';
    else {
      const p = await postgresRun(n);
      rows.push(...p.rows);
      details.postgres = p.details;
    }
    return { rows, details };
  },
};
