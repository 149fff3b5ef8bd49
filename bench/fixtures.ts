/**
 * The workload and the baseline the benchmarks share: realistic agent messages (prompts, tool
 * calls, tool results, usage), and the raw better-sqlite3 table skein is measured against.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Delta, ResourceUsage } from '../src/index.js';
import { seededRandom as rng } from '../test/helpers/random.js';

/** The benchmarks' seeded PRNG: every run writes the same bytes. */
export { rng };

const WORDS = (
  'the a of to and in is it for on with as that this file function test error return value type ' +
  'const import export async await promise thread message store append page cursor index query ' +
  'sqlite commit version writer lease merge order key delta op log replay snapshot cache memory ' +
  'disk bytes token cost model usage tool call result output input path line column src lib'
).split(' ');
const TOOLS = ['read_file', 'edit_file', 'bash', 'grep', 'list_dir'];
const MODELS = ['claude-sonnet-4', 'gpt-4.1', 'claude-haiku-3.5'];


function text(rand: () => number, min: number, max: number): string {
  const target = min + Math.floor(rand() * (max - min));
  let s = '';
  while (s.length < target) s += WORDS[Math.floor(rand() * WORDS.length)]! + (rand() < 0.08 ? '.\n' : ' ');
  return s.slice(0, target);
}

function usage(rand: () => number): ResourceUsage {
  const inputTokens = 2000 + Math.floor(rand() * 30000);
  const outputTokens = 50 + Math.floor(rand() * 800);
  return {
    model: MODELS[Math.floor(rand() * MODELS.length)]!,
    inputTokens,
    outputTokens,
    cacheReadTokens: Math.floor(inputTokens * 0.8),
    cacheWriteTokens: Math.floor(rand() * 500),
    costUSD: Math.round((inputTokens * 3 + outputTokens * 15) / 1000) / 1000,
  };
}

/** An assistant message that reads a file (call `call_<i>`) and carries usage. */
function toolCallMessage(i: number, content: string, rand: () => number): Delta {
  const input = { path: `src/${WORDS[i % WORDS.length]}/index.ts`, limit: 200 };
  return { type: 'assistant:message', message: { content, toolCalls: [{ id: `call_${i}`, name: TOOLS[i % TOOLS.length]!, input }], resourceUsage: usage(rand) } };
}

/**
 * The deltas of messages `start .. start+count-1` of a conversation, in a four-message cycle: a
 * user prompt, an assistant message with a tool call and usage, the tool's result, and an
 * assistant answer with usage. Contents are 300-800 characters. Same index, same delta.
 */
export function messageDeltas(start: number, count: number): Delta[] {
  const out: Delta[] = [];
  for (let i = start; i < start + count; i++) {
    const rand = rng(i + 1);
    const content = text(rand, 300, 800);
    switch (i % 4) {
      case 0:
        out.push({ type: 'user:message', message: { content } });
        break;
      case 1:
        out.push(toolCallMessage(i, content, rand));
        break;
      case 2:
        out.push({ type: 'user:message', message: { content, toolResults: [{ toolCallId: `call_${i - 1}`, output: text(rand, 40, 120) }] } });
        break;
      default:
        out.push({ type: 'assistant:message', message: { content, resourceUsage: usage(rand) } });
    }
  }
  return out;
}

const ROLE: Record<string, string> = { 'user:message': 'user', 'assistant:message': 'assistant', 'system:message': 'system' };

/** The JSON the baseline stores for a message delta: what the caller gave plus id, role and timestamp. */
export function rawJson(delta: Delta): string {
  if (!('message' in delta)) throw new Error(`not a message delta: ${delta.type}`);
  return JSON.stringify({ id: randomUUID(), role: ROLE[delta.type], timestamp: Date.now(), ...delta.message });
}

/**
 * The raw baseline: one better-sqlite3 WAL database with a table (id INTEGER PRIMARY KEY,
 * thread_id TEXT, json TEXT) indexed on thread_id, at the same synchronous setting as skein.
 */
export class RawBaseline {
  readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly newestStmt: Database.Statement;
  private readonly beforeStmt: Database.Statement;

  constructor(
    readonly file: string,
    durability: 'full' | 'normal',
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS msgs (id INTEGER PRIMARY KEY, thread_id TEXT, json TEXT);
      CREATE INDEX IF NOT EXISTS msgs_thread ON msgs(thread_id);`);
    this.insertStmt = this.db.prepare('INSERT INTO msgs (thread_id, json) VALUES (?, ?)');
    this.newestStmt = this.db.prepare('SELECT id, json FROM msgs WHERE thread_id = ? ORDER BY id DESC LIMIT ?');
    this.beforeStmt = this.db.prepare('SELECT id, json FROM msgs WHERE thread_id = ? AND id < ? ORDER BY id DESC LIMIT ?');
  }

  /** One autocommitted INSERT; returns the row id. */
  insert(threadId: string, delta: Delta): number {
    return Number(this.insertStmt.run(threadId, rawJson(delta)).lastInsertRowid);
  }

  /** Many INSERTs in one transaction (for building big threads fast). */
  insertMany(threadId: string, deltas: Delta[]): void {
    this.db.transaction(() => {
      for (const d of deltas) this.insertStmt.run(threadId, rawJson(d));
    })();
  }

  /** The newest `limit` messages (or those before row `beforeId`), oldest first, parsed. */
  page(threadId: string, limit: number, beforeId?: number): { id: number; message: unknown }[] {
    const rows = (beforeId === undefined ? this.newestStmt.all(threadId, limit) : this.beforeStmt.all(threadId, beforeId, limit)) as {
      id: number;
      json: string;
    }[];
    return rows.reverse().map((r) => ({ id: r.id, message: JSON.parse(r.json) as unknown }));
  }

  /** Row ids of a thread's messages, oldest first. */
  ids(threadId: string): number[] {
    return (this.db.prepare('SELECT id FROM msgs WHERE thread_id = ? ORDER BY id').all(threadId) as { id: number }[]).map((r) => r.id);
  }

  close(): void {
    this.db.close();
  }
}

/** Runs `PRAGMA wal_checkpoint(TRUNCATE)` on a database file with a fresh connection and closes it. */
export function checkpoint(file: string): void {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The two conversations the thread-length benchmarks compare. */
export type ConversationKind = 'tool-heavy' | 'plain';

/**
 * Messages `start .. start+count-1` of a conversation whose roles alternate (user at even
 * indexes), 300-700 characters each. In `tool-heavy`, every assistant message makes a tool call
 * (with usage) and no result ever comes back: a session killed mid-tool, an interrupted turn, a
 * transcript that ends on calls. In `plain`, assistant messages only carry usage.
 */
export function conversationDeltas(kind: ConversationKind, start: number, count: number): Delta[] {
  const out: Delta[] = [];
  for (let i = start; i < start + count; i++) {
    const rand = rng(i + 7);
    const content = text(rand, 300, 700);
    if (i % 2 === 0) out.push({ type: 'user:message', message: { content } });
    else if (kind === 'plain') out.push({ type: 'assistant:message', message: { content, resourceUsage: usage(rand) } });
    else out.push(toolCallMessage(i, content, rand));
  }
  return out;
}
