/**
 * Where importers put what they map: one {@link Session} per source session, each backed by one
 * skein thread written through the public Store API. Deltas are batched per session and written
 * with one atomic `append`; the identities of the records they came from, the verbatim records
 * and the file's read offset go to the state database right after. A crash between the two is
 * repaired when the session is next opened: the thread's ops after the recorded version carry
 * their record identity (`message.sourceId`), so nothing is imported twice.
 */
import { createHash } from 'node:crypto';
import type { Delta, Environment, MessageInput, ThreadID } from '../model/types.js';
import type { Store } from '../store/store.js';
import { ErrorCode, SkeinError } from '../errors.js';
import { reconcile } from './repair.js';
import type { FileProgress, RawChunk, RecordRow, StateDb } from './state-db.js';

/** How a new thread starts. */
export interface ThreadInit {
  title?: string;
  env?: Environment;
  meta: Record<string, unknown>;
  /** A sub-agent (`child`) or summary thread of another session. */
  parent?: { key: string; link: 'child' | 'summary'; init: () => ThreadInit };
}

const BATCH = 1000;
const SAFE_ID = /^[A-Za-z0-9_.:-]{1,120}$/;

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One source session being imported (see the module comment). */
export class Session {
  /** Mapper state kept across runs (model in use, running totals, ...). */
  state: Record<string, unknown>;
  /** Thread title as it stands (with what is buffered). */
  title: string | undefined;
  private meta: Record<string, unknown>;
  private env: Environment | undefined;
  private deltas: Delta[] = [];
  /** Where each message delta came from (for a per-record report when the store refuses one). */
  private origins = new Map<Delta, { file: string; line: number }>();
  private records: { rkey: string; mid: string | null; raw: boolean; val?: string }[] = [];
  private pendingKeys = new Map<string, string | null>();
  private raws: RawChunk[] = [];
  private uuids: [agent: string, uuid: string][] = [];
  private stateDirty = false;
  /** Whether a crash between the thread and the state database was repaired when it opened. */
  reconciled = false;
  /** Messages appended in this run. */
  messages = 0;
  readonly startV: number;

  constructor(
    private readonly sink: ImportSink,
    readonly key: string,
    readonly threadId: ThreadID,
    public v: number,
    head: { title?: string; meta?: Record<string, unknown>; env?: Environment },
    state: Record<string, unknown>,
    readonly created: boolean,
  ) {
    this.title = head.title;
    this.meta = { ...head.meta };
    this.env = head.env;
    this.state = state;
    this.startV = created ? 0 : v;
  }

  /** A stable message id for a record identity in this session. */
  mid(rkey: string): string {
    return SAFE_ID.test(rkey) && rkey.length <= 120 ? rkey : `m-${createHash('sha256').update(this.key).update('\0').update(rkey).digest('hex').slice(0, 32)}`;
  }

  /** Whether a record was already imported into this thread (and as which message). */
  seen(rkey: string): RecordRow | { rkey: string; mid: string | null; live: 1; raw: 1; val: null; seq: -1 } | undefined {
    if (this.pendingKeys.has(rkey)) return { rkey, mid: this.pendingKeys.get(rkey)!, live: 1, raw: 1, val: null, seq: -1 };
    return this.sink.db.record(this.threadId, rkey);
  }

  /** Appends a message made from the record `rkey`; answers its id. */
  message(type: 'user:message' | 'assistant:message' | 'system:message', message: MessageInput, rkey: string): string {
    const id = this.mid(rkey);
    const delta: Delta = { type, message: { id, ...message, sourceId: rkey } };
    this.deltas.push(delta);
    if (this.sink.origin) this.origins.set(delta, this.sink.origin);
    this.noteRecord(rkey, id);
    this.messages++;
    return id;
  }

  /** Notes a record that became no message (kept verbatim only, or merged into another). */
  noteRecord(rkey: string, mid: string | null = null, val?: string): void {
    this.records.push(val === undefined ? { rkey, mid, raw: true } : { rkey, mid, raw: true, val });
    this.pendingKeys.set(rkey, mid);
  }

  /** Names the file the next messages come from (whole-document sources have no lines). */
  sinkOrigin(file: string): void {
    this.sink.origin = { file, line: 0 };
  }

  /** Keeps a source record verbatim with this thread. */
  raw(file: string, line: number, text: string): void {
    const last = this.raws.at(-1);
    if (last && last.file === file && last.firstLine + last.lines.length === line) last.lines.push(text);
    else this.raws.push({ file, firstLine: line, lines: [text] });
  }

  /** Sets the title unless it is already that. */
  setTitle(value: string): void {
    const v = value.slice(0, 10_000);
    if (v === this.title || v === '') return;
    this.title = v;
    this.deltas.push({ type: 'title', value: v });
  }

  /** Sets a meta key unless it already holds that value. */
  setMeta(key: string, value: unknown): void {
    if (isEqual(this.meta[key], value)) return;
    this.meta[key] = value;
    this.deltas.push({ type: 'meta:set', key, value });
  }

  getMeta(key: string): unknown {
    return this.meta[key];
  }

  /** Merges fields into the environment unless nothing changes. */
  setEnv(env: Environment): void {
    const next = { ...this.env, ...env };
    if (isEqual(next, this.env)) return;
    this.env = next;
    this.deltas.push({ type: 'env:set', env: next });
  }

  /** Hides the thread's messages from `fromMessageId` on (an abandoned branch stays in the log). */
  truncateFrom(fromMessageId: string): void {
    this.deltas.push({ type: 'thread:truncate', fromMessageId });
  }

  /** The last buffered delta when it is a message (to merge a streamed piece into). */
  lastMessage(): { type: string; message: MessageInput } | undefined {
    const d = this.deltas.at(-1);
    return d && (d.type === 'user:message' || d.type === 'assistant:message' || d.type === 'system:message') ? d : undefined;
  }

  /** Claims a source uuid for this thread (who holds a uuid is asked with {@link ImportSink.uuidOwner}). */
  claim(agent: string, uuid: string): void {
    this.uuids.push([agent, uuid]);
    this.sink.noteClaim(agent, uuid, this.threadId);
  }

  /** Mapper state changed: save it with the next flush. */
  touchState(): void {
    this.stateDirty = true;
  }

  get dirty(): boolean {
    return this.deltas.length > 0 || this.records.length > 0 || this.raws.length > 0 || this.uuids.length > 0 || this.stateDirty;
  }

  /** Whether enough is buffered to write a batch. */
  get full(): boolean {
    return this.deltas.length >= BATCH || this.records.length >= BATCH * 4;
  }

  /**
   * Writes the buffered deltas (one atomic append), then the records that made them; `also`
   * runs in that state transaction (the sink puts a file's read progress there).
   */
  async flush(also?: () => void): Promise<void> {
    if (!this.dirty) {
      if (also)
        this.sink.db.tx(() => {
          this.sink.fence();
          also();
        });
      return;
    }
    const deltas = this.deltas;
    const origins = this.origins;
    this.deltas = [];
    this.origins = new Map();
    if (deltas.length > 0) {
      try {
        this.v = (await this.sink.store.append(this.threadId, deltas)).v;
      } catch (err) {
        if (!(err instanceof SkeinError) || err.code !== ErrorCode.VALIDATION) throw err;
        // The store refused something in the batch: write one by one and report the records refused.
        for (const d of deltas) {
          try {
            this.v = (await this.sink.store.append(this.threadId, d)).v;
          } catch (e) {
            if (!(e instanceof SkeinError) || e.code !== ErrorCode.VALIDATION) throw e;
            const o = origins.get(d);
            this.sink.report(o?.file ?? '', o?.line ?? 0, `refused by the store: ${e.message}`);
            if (d.type.endsWith(':message')) this.messages--;
          }
        }
      }
    }
    const db = this.sink.db;
    const records = this.records;
    const raws = this.raws;
    const uuids = this.uuids;
    this.records = [];
    this.raws = [];
    this.uuids = [];
    this.pendingKeys.clear();
    this.stateDirty = false;
    for (const [a, u] of uuids) this.sink.claimed.get(a)?.delete(u);
    db.tx(() => {
      this.sink.fence();
      db.putRecords(this.threadId, records);
      for (const c of raws) db.putRaw(this.threadId, c);
      db.putUuids(this.threadId, uuids);
      db.putSession(this.key, this.threadId, this.v, this.state);
      also?.();
    });
  }
}

/** The sessions of one import run, and the state database behind them. */
export class ImportSink {
  private readonly sessions = new Map<string, Session>();
  private readonly opening = new Map<string, Promise<Session>>();
  /** Session keys asked for since the runner last cleared it (the sessions a file fed). */
  readonly touched = new Set<string>();
  /** The source line being mapped (set by the readers), so a refused record can be reported by line. */
  origin: { file: string; line: number } | undefined;
  /** Reports a record that could not be imported. */
  report: (file: string, line: number, reason: string) => void = () => undefined;
  /** Work that must wait until every unit was read (e.g. summaries naming a later file's records). */
  readonly atEnd: (() => Promise<void>)[] = [];
  /** Threads written directly (skein's own op log), with what happened to them, and their new messages. */
  readonly external = new Map<ThreadID, 'created' | 'updated' | 'unchanged'>();
  externalMessages = 0;
  /** Uuids claimed in this run and not yet written, per agent (uuid -> thread). */
  readonly claimed = new Map<string, Map<string, ThreadID>>();
  /** Owners of the current batch's uuids per agent (null: none), see {@link prefetchOwners}. */
  private readonly owners = new Map<string, Map<string, ThreadID | null>>();

  /**
   * @param fence Throws when this import may no longer write (its lease was taken over); run
   *   inside every state transaction, and before a thread is created.
   */
  constructor(
    readonly store: Store,
    readonly db: StateDb,
    readonly fence: () => void = () => undefined,
  ) {}

  /** Every session opened in this run. */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** The session for `key`, made (with its thread) from `init` when new; an open one is answered as is (no promise per record). */
  session(key: string, init: () => ThreadInit): Session | Promise<Session> {
    this.touched.add(key);
    const open = this.sessions.get(key);
    if (open) return open;
    let p = this.opening.get(key);
    if (!p) {
      p = this.openSession(key, init).finally(() => this.opening.delete(key));
      this.opening.set(key, p);
    }
    return p;
  }

  /** An open session or an imported one (without creating anything). */
  async existing(key: string): Promise<Session | undefined> {
    const open = this.sessions.get(key);
    if (open) return open;
    if (!this.db.session(key)) return undefined;
    return this.session(key, () => ({ meta: {} }));
  }

  private async openSession(key: string, init: () => ThreadInit): Promise<Session> {
    const known = this.db.session(key);
    let s: Session | undefined;
    if (known) {
      const head = await this.store.info(known.threadId);
      if (head) {
        s = new Session(this, key, known.threadId, known.v, head, known.state, false);
        if (head.v !== known.v) await reconcile(this, s, known.v, head.v);
      }
    }
    if (!s) {
      const fields = init();
      let parent: Session | undefined;
      if (fields.parent) parent = await this.session(fields.parent.key, fields.parent.init);
      const meta = { ...fields.meta, importKey: key };
      this.db.tx(() => {
        this.fence();
        this.db.setPending(key, true);
      });
      const t = await this.store.createThread({
        ...(fields.title !== undefined && { title: fields.title.slice(0, 10_000) }),
        ...(fields.env && { env: fields.env }),
        meta,
        ...(parent && fields.parent?.link === 'child' && { mainThreadID: parent.threadId }),
        ...(parent && fields.parent?.link === 'summary' && { originThreadID: parent.threadId }),
      });
      if (parent) {
        await parent.flush();
        const pt = await this.store.append(parent.threadId, { type: fields.parent!.link === 'child' ? 'child:link' : 'summary:link', threadId: t.id });
        parent.v = pt.v;
      }
      s = new Session(this, key, t.id, t.v, t, {}, true);
      this.db.tx(() => {
        this.fence();
        this.db.putSession(key, t.id, t.v, {});
        if (parent) this.db.putSession(parent.key, parent.threadId, parent.v, parent.state);
        this.db.setPending(key, false);
      });
    }
    this.sessions.set(key, s);
    return s;
  }

  /** The session key of a thread imported here, if any. */
  keyOf(threadId: string): string | undefined {
    for (const s of this.sessions.values()) if (s.threadId === threadId) return s.key;
    return this.db.sessionByThread(threadId);
  }

  /** The thread that holds a source uuid, if any. */
  uuidOwner(agent: string, uuid: string): ThreadID | undefined {
    const claimed = this.claimed.get(agent)?.get(uuid);
    if (claimed) return claimed;
    const known = this.owners.get(agent)?.get(uuid);
    if (known !== undefined) return known === null ? undefined : known;
    return this.db.uuidOwner(agent, uuid) as ThreadID | undefined;
  }

  /**
   * Who holds each of `uuids` (per agent), asked in one query per agent and kept until the
   * next prefetch, so that the records of a batch of lines are not looked up one by one. Claims
   * update what is kept; nothing else writes uuids while the import holds its lease.
   */
  prefetchOwners(uuids: Map<string, string[]>): void {
    this.owners.clear();
    for (const [agent, list] of uuids) {
      if (list.length === 0) continue;
      const found = this.db.uuidOwners(agent, list);
      const known = new Map<string, ThreadID | null>();
      for (const u of list) known.set(u, (found.get(u) as ThreadID | undefined) ?? null);
      this.owners.set(agent, known);
    }
  }

  /** Notes a claim (written with the session's next flush) in what {@link prefetchOwners} kept. */
  noteClaim(agent: string, uuid: string, threadId: ThreadID): void {
    let claims = this.claimed.get(agent);
    if (!claims) this.claimed.set(agent, (claims = new Map()));
    claims.set(uuid, threadId);
    const known = this.owners.get(agent);
    if (known?.has(uuid)) known.set(uuid, threadId);
  }

  /**
   * Writes every session's buffer, then the file's read progress (so progress never runs ahead):
   * in the state transaction of the last session written, which follows every thread's append.
   */
  async flushAll(file?: { path: string; progress: FileProgress }): Promise<void> {
    const dirty = this.all().filter((s) => s.dirty);
    const putFile = file && (() => this.db.putFile(file.path, file.progress));
    for (let i = 0; i < dirty.length; i++) await dirty[i]!.flush(i === dirty.length - 1 ? putFile : undefined);
    if (dirty.length === 0 && putFile)
      this.db.tx(() => {
        this.fence();
        putFile();
      });
  }

  /** Whether any session holds a full batch. */
  anyFull(): boolean {
    for (const s of this.sessions.values()) if (s.full) return true;
    return false;
  }

  /** Writes the buffers of sessions that hold a full batch. */
  async flushFull(): Promise<void> {
    for (const s of this.sessions.values()) if (s.full) await s.flush();
  }
}
