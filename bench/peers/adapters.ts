/**
 * The stores compared by `npm run bench:peers`, each behind one small interface, used the way its
 * documentation shows: skein (`openStore` + `append` + `loadPage`), a raw better-sqlite3 table (the
 * floor), Mastra's memory on its LibSQL store, and LangGraph's SQLite checkpointer (each append is
 * a checkpoint of the thread's state, as a graph step writes it). Every store runs in WAL mode at
 * `synchronous=FULL` (equal durability: a resolved append survives power loss); where a peer's
 * default is lower, the benchmark sets FULL on its connection and reports the default.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type Delta, type Store, type ThreadID } from '../../src/index.js';
import type { GenMessage } from './workload.js';

/** What the benchmark asks of a store. */
export interface Peer {
  readonly name: string;
  /** Database files whose bytes count as the store's size at rest. */
  files(): string[];
  createThread(thread: number): Promise<void>;
  /** One message, resolved once durable. */
  append(thread: number, m: GenMessage): Promise<void>;
  /** Many messages at once, to fill a thread quickly (not timed as appends). */
  appendMany(thread: number, ms: GenMessage[]): Promise<void>;
  /** How many messages one fill batch holds when the thread has `reached` (default 1,000). */
  fillBatch?(reached: number): number;
  /** The newest `n` messages, oldest first, as the store returns them. */
  newest(thread: number, n: number): Promise<unknown[]>;
  /** Every message of the thread. */
  all(thread: number): Promise<unknown[]>;
  /** The `synchronous` pragma the store's connection runs with (0 off, 1 normal, 2 full, 3 extra). */
  synchronous(): Promise<number | string>;
  /** The `synchronous` the store chose itself, before the benchmark set FULL (equal durability). */
  defaultSynchronous?: number | string;
  close(): Promise<void>;
}

function skeinDelta(m: GenMessage): Delta {
  if (m.role === 'user') return { type: 'user:message', message: { id: m.id, content: m.content } };
  return {
    type: 'assistant:message',
    message: {
      id: m.id,
      content: m.content,
      ...(m.toolCall && { toolCalls: [m.toolCall] }),
      ...(m.usage && { resourceUsage: { model: m.usage.model, inputTokens: m.usage.inputTokens, outputTokens: m.usage.outputTokens, costUSD: m.usage.costUSD } }),
    },
  };
}

class SkeinPeer implements Peer {
  readonly name = 'skein';
  private store!: Store;
  private readonly ids = new Map<number, ThreadID>();
  constructor(private readonly dir: string) {}
  async open(): Promise<this> {
    this.store = await openStore({ dir: this.dir, durability: 'full' });
    return this;
  }
  files(): string[] {
    return ['skein.db', 'skein.db-wal'].map((f) => join(this.dir, f));
  }
  private id(thread: number): ThreadID {
    return this.ids.get(thread)!;
  }
  async createThread(thread: number): Promise<void> {
    this.ids.set(thread, (await this.store.createThread({ title: `thread ${thread}` })).id);
  }
  async append(thread: number, m: GenMessage): Promise<void> {
    await this.store.append(this.id(thread), skeinDelta(m));
  }
  async appendMany(thread: number, ms: GenMessage[]): Promise<void> {
    await this.store.append(this.id(thread), ms.map(skeinDelta));
  }
  async newest(thread: number, n: number): Promise<unknown[]> {
    return (await this.store.loadPage(this.id(thread), { limit: n })).messages;
  }
  async all(thread: number): Promise<unknown[]> {
    return (await this.store.getThread(this.id(thread)))!.messages;
  }
  async synchronous(): Promise<number | string> {
    const db = (this.store['core'].backend as unknown as { db?: { pragma(p: string, o: { simple: true }): unknown } }).db;
    return db ? Number(db.pragma('synchronous', { simple: true })) : 'unknown';
  }
  async close(): Promise<void> {
    await this.store.close();
  }
}

/** The floor: one table, one autocommitted INSERT per message, WAL, synchronous=FULL. */
class RawPeer implements Peer {
  readonly name = 'raw better-sqlite3';
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly newestStmt: Database.Statement;
  private readonly allStmt: Database.Statement;
  constructor(private readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS msgs (id INTEGER PRIMARY KEY, thread INTEGER, json TEXT); CREATE INDEX IF NOT EXISTS msgs_thread ON msgs(thread, id);');
    this.insert = this.db.prepare('INSERT INTO msgs (thread, json) VALUES (?, ?)');
    this.newestStmt = this.db.prepare('SELECT json FROM msgs WHERE thread = ? ORDER BY id DESC LIMIT ?');
    this.allStmt = this.db.prepare('SELECT json FROM msgs WHERE thread = ? ORDER BY id');
  }
  files(): string[] {
    return [this.file, `${this.file}-wal`];
  }
  async createThread(): Promise<void> {}
  async append(thread: number, m: GenMessage): Promise<void> {
    this.insert.run(thread, JSON.stringify(m));
  }
  async appendMany(thread: number, ms: GenMessage[]): Promise<void> {
    this.db.transaction(() => {
      for (const m of ms) this.insert.run(thread, JSON.stringify(m));
    })();
  }
  async newest(thread: number, n: number): Promise<unknown[]> {
    return (this.newestStmt.all(thread, n) as { json: string }[]).reverse().map((r) => JSON.parse(r.json) as unknown);
  }
  async all(thread: number): Promise<unknown[]> {
    return (this.allStmt.all(thread) as { json: string }[]).map((r) => JSON.parse(r.json) as unknown);
  }
  async synchronous(): Promise<number> {
    return this.db.pragma('synchronous', { simple: true }) as number;
  }
  async close(): Promise<void> {
    this.db.close();
  }
}

/** Mastra: `Memory` over `LibSQLStore` (a local file), messages in its v2 format. */
class MastraPeer implements Peer {
  readonly name = 'mastra libsql';
  // Typed loosely: the peer's types are its own business, the benchmark only calls four methods.
  private memory!: {
    saveThread(a: unknown): Promise<unknown>;
    saveMessages(a: unknown): Promise<unknown>;
    query(a: unknown): Promise<{ messagesV2: unknown[] }>;
  };
  private storage!: { init(): Promise<void>; client: { execute(sql: string): Promise<{ rows: Record<string, unknown>[] }>; close(): void } };
  defaultSynchronous?: number | string;
  constructor(private readonly file: string) {}
  async open(): Promise<this> {
    const { LibSQLStore } = await import('@mastra/libsql');
    const { Memory } = await import('@mastra/memory');
    const storage = new LibSQLStore({ url: `file:${this.file}` });
    this.storage = storage as unknown as typeof this.storage;
    this.memory = new Memory({ storage, options: { lastMessages: 50, semanticRecall: false } }) as unknown as typeof this.memory;
    await this.storage.init();
    this.defaultSynchronous = await this.synchronous();
    await this.storage.client.execute('PRAGMA synchronous = FULL');
    return this;
  }
  files(): string[] {
    return [this.file, `${this.file}-wal`];
  }
  private static toV2(thread: number, m: GenMessage): unknown {
    const parts: unknown[] = [{ type: 'text', text: m.content }];
    const toolInvocations = m.toolCall ? [{ state: 'call', toolCallId: m.toolCall.id, toolName: m.toolCall.name, args: m.toolCall.input }] : undefined;
    if (m.toolCall) parts.push({ type: 'tool-invocation', toolInvocation: toolInvocations![0] });
    return {
      id: m.id,
      threadId: `t${thread}`,
      resourceId: 'bench',
      role: m.role,
      createdAt: new Date(1_700_000_000_000 + thread * 1_000_000 + m.index),
      type: 'v2',
      content: { format: 2, parts, content: m.content, ...(toolInvocations && { toolInvocations }), ...(m.usage && { metadata: { usage: m.usage } }) },
    };
  }
  async createThread(thread: number): Promise<void> {
    const now = new Date();
    await this.memory.saveThread({ thread: { id: `t${thread}`, resourceId: 'bench', title: `thread ${thread}`, createdAt: now, updatedAt: now, metadata: {} } });
  }
  async append(thread: number, m: GenMessage): Promise<void> {
    await this.memory.saveMessages({ messages: [MastraPeer.toV2(thread, m)], format: 'v2' });
  }
  async appendMany(thread: number, ms: GenMessage[]): Promise<void> {
    await this.memory.saveMessages({ messages: ms.map((m) => MastraPeer.toV2(thread, m)), format: 'v2' });
  }
  async newest(thread: number, n: number): Promise<unknown[]> {
    return (await this.memory.query({ threadId: `t${thread}`, resourceId: 'bench', selectBy: { last: n } })).messagesV2;
  }
  async all(thread: number): Promise<unknown[]> {
    return (await this.memory.query({ threadId: `t${thread}`, resourceId: 'bench', selectBy: { last: Number.MAX_SAFE_INTEGER } })).messagesV2;
  }
  async synchronous(): Promise<number> {
    const r = await this.storage.client.execute('PRAGMA synchronous');
    return Number(Object.values(r.rows[0] ?? {})[0]);
  }
  async close(): Promise<void> {
    this.storage.client.close();
  }
}

/**
 * LangGraph: `SqliteSaver`; a thread's state is its message list (LangChain messages), and each
 * append is one checkpoint of the whole state, as a graph step with a messages channel writes it.
 * The running graph keeps the state in memory between steps, so the adapter does too.
 */
class LangGraphPeer implements Peer {
  readonly name = 'langgraph sqlite';
  private saver!: {
    put(config: unknown, checkpoint: unknown, metadata: unknown): Promise<unknown>;
    getTuple(config: unknown): Promise<{ checkpoint: { channel_values: Record<string, unknown> } } | undefined>;
    setup(): void;
    db: Database.Database;
  };
  defaultSynchronous?: number | string;
  private lib!: { emptyCheckpoint(): Record<string, unknown>; uuid6(clockseq: number): string };
  private messages!: { HumanMessage: new (f: unknown) => unknown; AIMessage: new (f: unknown) => unknown };
  private readonly state = new Map<number, { list: unknown[]; step: number }>();
  constructor(private readonly file: string) {}
  async open(): Promise<this> {
    const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
    this.lib = (await import('@langchain/langgraph-checkpoint')) as unknown as typeof this.lib;
    this.messages = (await import('@langchain/core/messages')) as unknown as typeof this.messages;
    this.saver = SqliteSaver.fromConnString(this.file) as unknown as typeof this.saver;
    this.saver.setup();
    this.defaultSynchronous = await this.synchronous();
    this.saver.db.pragma('synchronous = FULL');
    return this;
  }
  files(): string[] {
    return [this.file, `${this.file}-wal`];
  }
  private toMessage(m: GenMessage): unknown {
    if (m.role === 'user') return new this.messages.HumanMessage({ id: m.id, content: m.content });
    return new this.messages.AIMessage({
      id: m.id,
      content: m.content,
      tool_calls: m.toolCall ? [{ id: m.toolCall.id, name: m.toolCall.name, args: m.toolCall.input, type: 'tool_call' }] : [],
      ...(m.usage && {
        usage_metadata: { input_tokens: m.usage.inputTokens, output_tokens: m.usage.outputTokens, total_tokens: m.usage.inputTokens + m.usage.outputTokens },
        response_metadata: { model_name: m.usage.model },
      }),
    });
  }
  private async checkpoint(thread: number): Promise<void> {
    const s = this.state.get(thread)!;
    s.step++;
    const cp = { ...this.lib.emptyCheckpoint(), id: this.lib.uuid6(-1), ts: new Date().toISOString(), channel_values: { messages: s.list }, channel_versions: { messages: s.step } };
    await this.saver.put({ configurable: { thread_id: `t${thread}`, checkpoint_ns: '' } }, cp, { source: 'loop', step: s.step, parents: {} });
  }
  async createThread(thread: number): Promise<void> {
    this.state.set(thread, { list: [], step: 0 });
  }
  /** Every write rewrites the whole state, so batches grow with the thread: a few writes fill it. */
  fillBatch(reached: number): number {
    return Math.max(1000, reached);
  }
  async append(thread: number, m: GenMessage): Promise<void> {
    this.state.get(thread)!.list.push(this.toMessage(m));
    await this.checkpoint(thread);
  }
  async appendMany(thread: number, ms: GenMessage[]): Promise<void> {
    this.state.get(thread)!.list.push(...ms.map((m) => this.toMessage(m)));
    await this.checkpoint(thread);
  }
  private async load(thread: number): Promise<unknown[]> {
    const t = await this.saver.getTuple({ configurable: { thread_id: `t${thread}`, checkpoint_ns: '' } });
    return (t?.checkpoint.channel_values.messages as unknown[] | undefined) ?? [];
  }
  async newest(thread: number, n: number): Promise<unknown[]> {
    return (await this.load(thread)).slice(-n);
  }
  async all(thread: number): Promise<unknown[]> {
    return this.load(thread);
  }
  async synchronous(): Promise<number> {
    return this.saver.db.pragma('synchronous', { simple: true }) as number;
  }
  async close(): Promise<void> {
    this.saver.db.close();
  }
}

/** The names `npm run bench:peers` knows. */
export const PEERS = ['skein', 'raw', 'mastra', 'langgraph'] as const;
export type PeerName = (typeof PEERS)[number];

/** Opens a peer's store in `dir` (a fresh directory). */
export async function openPeer(name: PeerName, dir: string): Promise<Peer> {
  switch (name) {
    case 'skein':
      return new SkeinPeer(dir).open();
    case 'raw':
      return new RawPeer(join(dir, 'raw.db'));
    case 'mastra':
      return new MastraPeer(join(dir, 'mastra.db')).open();
    case 'langgraph':
      return new LangGraphPeer(join(dir, 'langgraph.db')).open();
  }
}
