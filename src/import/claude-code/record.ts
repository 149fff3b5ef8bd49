/**
 * Maps the records of one Claude Code file onto sessions. The rules, from the transcript notes:
 * - uuid/parentUuid form a tree. A uuid already imported (in this thread, or in another session a
 *   resumed one replays) is kept once. A parent never seen (or the record itself) is a root; since
 *   a parent must be seen before its child, cycles cannot form. A user prompt whose parent is
 *   not the current tip is a rewind: the old branch is hidden with `thread:truncate` (kept in the
 *   log) and the thread follows the new, newest branch. Tool results and streamed pieces whose
 *   parent is an earlier record of the turn are recording artifacts and stay in line.
 * - One API response split over several lines (same message.id and requestId) becomes one
 *   message when its pieces arrive together; its usage is counted once, the final piece winning
 *   (a piece that arrives in a later import adds only what the earlier pieces did not count).
 * - Titles: summary / custom-title / ai-title records (later wins), else the first user prompt.
 * - Compaction summaries (isCompactSummary) become summary threads; sidechains and agent files
 *   become sub-agent threads.
 */
import type { MessageInput, ResourceUsage } from '../../model/types.js';
import { mapBlocks, messageOf, titleFromPrompt } from '../blocks.js';
import { estimateCost } from '../prices.js';
import { add, minus, most, usageOf } from './usage.js';
import type { Session, ThreadInit } from '../sink.js';
import type { ImportContext } from '../types.js';
import { createHash } from 'node:crypto';

/** What a file holds, from its name and place. */
export type FileKind = { kind: 'main'; sessionId: string } | { kind: 'subagent'; agentId: string; parentSession?: string };

type Obj = Record<string, unknown>;
const AGENT = 'claude-code';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function timeOf(rec: Obj): number | undefined {
  const t = typeof rec.timestamp === 'string' ? Date.parse(rec.timestamp) : NaN;
  return Number.isFinite(t) && t >= 0 ? t : undefined;
}

function isPrompt(rec: Obj): boolean {
  if (rec.type !== 'user' || rec.isMeta === true || rec.isCompactSummary === true) return false;
  const content = isObj(rec.message) ? rec.message.content : undefined;
  if (typeof content === 'string') return true;
  return Array.isArray(content) && !content.some((b) => isObj(b) && b.type === 'tool_result');
}

/** One file being imported (see the module comment). */
export class ClaudeFile {
  private readonly summaries: { rec: Obj; line: number; text: string }[] = [];
  private mainKey: string | undefined;
  private lastSession: string | undefined;
  /** The buffered assistant message the last streamed piece went into. */
  private lastPiece: { mid: string; uuid: string; group: string } | undefined;

  constructor(
    private readonly path: string,
    private readonly kind: FileKind,
    private readonly agentMeta: Obj | undefined,
    private readonly ctx: ImportContext,
  ) {}

  private mainInit(sessionId: string, rec?: Obj): () => ThreadInit {
    return () => {
      const cwd = rec && str(rec.cwd);
      return {
        ...(cwd && { env: { cwd } }),
        meta: { source: { agent: AGENT, sessionId, file: this.kind.kind === 'main' ? this.path : null, version: (rec && str(rec.version)) ?? null } },
      };
    };
  }

  /** The session a record belongs to. */
  private sessionFor(rec: Obj): Session | Promise<Session> | undefined {
    const sink = this.ctx.sink;
    const k = this.kind;
    if (k.kind === 'subagent') {
      // Metadata lines of a flat agent file may lack the session id its other lines carry.
      const parentSession = k.parentSession ?? str(rec.sessionId) ?? this.lastSession;
      if (!parentSession) return undefined;
      this.lastSession = parentSession;
      const agentId = str(rec.agentId) ?? k.agentId;
      const key = `${AGENT}:${parentSession}/agent-${agentId}`;
      return sink.session(key, () => {
        const cwd = str(rec.cwd);
        const description = str(this.agentMeta?.description);
        return {
          ...(description && { title: description }),
          ...(cwd && { env: { cwd } }),
          meta: {
            source: { agent: AGENT, sessionId: parentSession, file: this.path, version: str(rec.version) ?? null },
            agentId,
            ...(str(this.agentMeta?.agentType) && { agentType: this.agentMeta!.agentType }),
          },
          parent: { key: `${AGENT}:${parentSession}`, link: 'child', init: this.mainInit(parentSession) },
        };
      });
    }
    const sessionId = str(rec.sessionId) ?? k.sessionId;
    const mainKey = `${AGENT}:${sessionId}`;
    this.mainKey ??= mainKey;
    if (rec.isSidechain === true && str(rec.uuid)) {
      // 1.0.x: sidechains inline, each chain rooted at parentUuid null: one sub-agent per root.
      let root = str(rec.uuid)!;
      const parent = str(rec.parentUuid);
      if (parent) {
        const owner = sink.uuidOwner(AGENT, parent);
        const ownerKey = owner && sink.keyOf(owner);
        if (ownerKey?.startsWith(`${mainKey}/sidechain-`)) return sink.session(ownerKey, () => ({ meta: {} }));
        root = parent;
      }
      return sink.session(`${mainKey}/sidechain-${root}`, () => {
        const cwd = str(rec.cwd);
        return {
          ...(cwd && { env: { cwd } }),
          meta: { source: { agent: AGENT, sessionId, file: this.path, version: str(rec.version) ?? null }, sidechainRoot: root },
          parent: { key: mainKey, link: 'child', init: this.mainInit(sessionId, rec) },
        };
      });
    }
    return sink.session(mainKey, this.mainInit(sessionId, rec));
  }

  /** Looks up at once who holds the uuids (and response ids) of a batch of records. */
  prefetch(recs: Obj[]): void {
    const uuids: string[] = [];
    const responses: string[] = [];
    for (const rec of recs) {
      const uuid = str(rec.uuid);
      if (uuid) uuids.push(uuid);
      const id = rec.type === 'assistant' && isObj(rec.message) ? str(rec.message.id) : undefined;
      if (id) responses.push(id);
    }
    this.ctx.sink.prefetchOwners(
      new Map([
        [AGENT, uuids],
        [`${AGENT}:message`, responses],
      ]),
    );
  }

  /** Maps one record of the file. */
  record(rec: Obj, line: number, text: string): Promise<void> | void {
    const uuid = str(rec.uuid);
    if (!uuid) return this.metaRecord(rec, line, text);
    // Most records go to an open session and need nothing awaited: no promise is made for them.
    const s = this.sessionFor(rec);
    return s instanceof Promise ? s.then((open) => this.recordIn(open, rec, uuid, line, text)) : this.recordIn(s, rec, uuid, line, text);
  }

  private recordIn(s: Session | undefined, rec: Obj, uuid: string, line: number, text: string): Promise<void> | void {
    if (!s) {
      this.ctx.skip(this.path, line, 'record without a session id');
      return;
    }
    // Who holds the uuid answers both questions at once: new, ours already, or another session's.
    // (After a crash was repaired, records may be in the thread without their uuid claimed yet.)
    const owner = this.ctx.sink.uuidOwner(AGENT, uuid) ?? (s.reconciled && s.seen(uuid) ? s.threadId : undefined);
    if (owner === s.threadId) {
      const seen = s.seen(uuid);
      // Already imported; keep its verbatim copy if a crash lost it.
      if (seen?.raw === 0) {
        s.noteRecord(uuid, seen.mid);
        s.raw(this.path, line, text);
      }
      return;
    }
    if (owner && owner !== s.threadId) {
      // A resumed session replaying an earlier one: kept once, where it was first imported.
      if (s.getMeta('resumedFrom') === undefined) s.setMeta('resumedFrom', owner);
      return;
    }
    s.claim(AGENT, uuid);
    this.context(s, rec);
    const placed = this.place(s, rec, uuid);
    if (placed) return placed.then(() => this.mapped(s, rec, uuid, line, text));
    return this.mapped(s, rec, uuid, line, text);
  }

  private mapped(s: Session, rec: Obj, uuid: string, line: number, text: string): Promise<void> | void {
    const done = () => {
      s.raw(this.path, line, text);
      s.state.tip = uuid;
    };
    const pending = this.map(s, rec, uuid);
    if (pending) return pending.then(done);
    done();
  }

  /** cwd, branch and version as the records say. */
  private context(s: Session, rec: Obj): void {
    const cwd = str(rec.cwd);
    if (cwd && cwd !== s.state.cwd) {
      s.state.cwd = cwd;
      s.setEnv({ cwd });
    }
    const branch = str(rec.gitBranch);
    if (branch && branch !== s.state.gitBranch) {
      s.state.gitBranch = branch;
      s.setMeta('gitBranch', branch);
    }
    const version = str(rec.version);
    if (version && version !== s.state.version) {
      s.state.version = version;
      const source = s.getMeta('source');
      s.setMeta('source', { ...(isObj(source) ? source : { agent: AGENT }), version, ...(this.kind.kind === 'main' && { file: this.path }) });
    }
  }

  /** Follows the tree: a rewind hides the abandoned branch (a promise only then). */
  private place(s: Session, rec: Obj, uuid: string): Promise<void> | undefined {
    const parent = str(rec.parentUuid) ?? (rec.subtype === 'compact_boundary' ? str(rec.logicalParentUuid) : undefined);
    if (!parent || parent === uuid || parent === s.state.tip || !isPrompt(rec)) return;
    const row = s.seen(parent);
    if (!row || row.live === 0) return;
    return this.rewind(s, parent);
  }

  private async rewind(s: Session, parent: string): Promise<void> {
    await s.flush();
    let row = s.seen(parent);
    row = s.seen(parent);
    if (!row) return;
    const db = this.ctx.sink.db;
    const next = db.firstLiveMessageAfter(s.threadId, row.seq);
    if (next?.mid) {
      s.truncateFrom(next.mid);
      await s.flush();
    }
    db.hideAfter(s.threadId, row.seq);
  }

  /** Maps a record onto messages (a promise only for a compaction summary, which may open a thread). */
  private map(s: Session, rec: Obj, uuid: string): Promise<void> | undefined {
    const msg = isObj(rec.message) ? rec.message : undefined;
    const timestamp = timeOf(rec);
    const at = timestamp === undefined ? {} : { timestamp };
    const db = this.ctx.sink.db;
    if (rec.type === 'user' && msg) {
      const m = messageOf(mapBlocks(db, msg.content));
      if (rec.isCompactSummary === true) return this.compactSummary(s, { ...m, ...at }, uuid);
      if (rec.isMeta === true) {
        s.message('system:message', { ...m, ...at, kind: 'meta' }, uuid);
        return;
      }
      s.message('user:message', { ...m, ...at }, uuid);
      if (s.state.titled === undefined && s.title === undefined && !m.toolResults) {
        const t = titleFromPrompt(m.content);
        if (t) {
          s.state.titled = 'prompt';
          s.setTitle(t);
        }
      }
      return;
    }
    if (rec.type === 'assistant' && msg) {
      this.assistant(s, rec, msg, uuid, at);
      return;
    }
    if (rec.type === 'system' && typeof rec.content === 'string') {
      const kind = str(rec.subtype) ?? 'system';
      s.message('system:message', { content: rec.content, ...at, kind, ...(isObj(rec.compactMetadata) && { compactMetadata: rec.compactMetadata }) }, uuid);
      return;
    }
    // progress, attachment and types not known yet: in the tree, kept verbatim.
    s.noteRecord(uuid);
  }

  private async compactSummary(s: Session, m: MessageInput, uuid: string): Promise<void> {
    const summary = await this.ctx.sink.session(`${s.key}/compact-${uuid}`, () => ({
      title: 'Compaction summary',
      meta: { source: s.getMeta('source') ?? { agent: AGENT }, compactedAt: uuid },
      parent: { key: s.key, link: 'summary', init: () => ({ meta: {} }) },
    }));
    if (!summary.seen(uuid)) summary.message('assistant:message', m, uuid);
    s.noteRecord(uuid);
  }

  private assistant(s: Session, rec: Obj, msg: Obj, uuid: string, at: { timestamp?: number }): void {
    const m = messageOf(mapBlocks(this.ctx.sink.db, msg.content));
    const model = str(msg.model);
    if (model && model !== '<synthetic>' && model !== s.state.model) {
      s.state.model = model;
      s.setMeta('model', model);
    }
    const group = `${str(msg.id) ?? uuid}|${str(rec.requestId) ?? ''}`;
    let usage = model === '<synthetic>' ? undefined : usageOf(msg);
    // A sidechain replaying its parent's response (same message.id, another requestId) would
    // count it twice: the response is counted where it was first seen (as ccusage does).
    const msgId = str(msg.id);
    // A response id no thread held yet: no usage of it was written down anywhere either (the
    // claim and that record go to imports.db in the same transaction), so nothing to look up.
    let fresh = false;
    if (usage && msgId && s.state.group !== group) {
      const counter = this.ctx.sink.uuidOwner(`${AGENT}:message`, msgId);
      if (counter && counter !== s.threadId) usage = undefined;
      else if (!counter) {
        s.claim(`${AGENT}:message`, msgId);
        fresh = true;
      }
    }
    if (usage) {
      // The current response's counted usage lives in the session state; a response left behind
      // is written down (once) so that a late piece of it still counts only its difference.
      let counted: ResourceUsage | undefined;
      if (s.state.group === group) counted = s.state.groupUsage as ResourceUsage;
      else {
        if (typeof s.state.group === 'string') s.noteRecord(`g:${s.state.group}`, null, JSON.stringify(s.state.groupUsage));
        const row = fresh ? undefined : s.seen(`g:${group}`);
        counted = row?.val ? (JSON.parse(row.val) as ResourceUsage) : undefined;
      }
      const full = counted ? most(usage, counted) : usage;
      usage = minus(usage, counted);
      s.state.group = group;
      s.state.groupUsage = full;
    }
    const last = s.lastMessage();
    const lp = this.lastPiece;
    if (last && last.type === 'assistant:message' && lp && last.message.id === lp.mid && lp.group === group && lp.uuid === str(rec.parentUuid)) {
      const lm = last.message;
      lm.content = [lm.content, m.content].filter((x) => x !== '').join('\n\n');
      if (m.toolCalls) lm.toolCalls = [...(lm.toolCalls ?? []), ...m.toolCalls.filter((c) => !lm.toolCalls?.some((o) => o.id === c.id))];
      if (m.thinking) lm.thinking = [lm.thinking, m.thinking].filter(Boolean).join('\n\n');
      if (usage) this.price(s, lm, add(lm.resourceUsage, usage));
      if (str(msg.stop_reason)) lm.stopReason = msg.stop_reason;
      lp.uuid = uuid;
      s.noteRecord(uuid, lm.id ?? null);
      return;
    }
    const message: MessageInput = { ...m, ...at, group, ...(str(msg.stop_reason) && { stopReason: msg.stop_reason }) };
    if (usage) this.price(s, message, usage);
    this.lastPiece = { mid: s.message('assistant:message', message, uuid), uuid, group };
  }

  /** Puts `usage` (a new object, owned from here on) on the message, priced when the model is known. */
  private price(s: Session, m: MessageInput, usage: ResourceUsage): void {
    const cost = estimateCost(usage);
    if (cost !== undefined) usage.costUSD = cost;
    m.resourceUsage = usage;
    if (cost !== undefined) {
      m.costEstimated = true;
      if (s.getMeta('costEstimated') !== true) s.setMeta('costEstimated', true);
    }
  }

  /** Records without a uuid: titles, summaries, snapshots, queue operations, ... */
  private async metaRecord(rec: Obj, line: number, text: string): Promise<void> {
    if (rec.type === 'summary') {
      this.summaries.push({ rec, line, text });
      return;
    }
    const s = await this.sessionFor(rec);
    if (!s) {
      this.ctx.skip(this.path, line, 'record without a session id');
      return;
    }
    const rkey = `h:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (s.seen(rkey)) return;
    const title = rec.type === 'custom-title' ? str(rec.customTitle) : rec.type === 'ai-title' ? str(rec.aiTitle) : undefined;
    if (title) {
      s.state.titled = 'agent';
      s.setTitle(title);
    }
    s.noteRecord(rkey);
    s.raw(this.path, line, text);
  }

  /** Summaries name their conversation by a leaf uuid, often of another file: placed last. */
  async end(): Promise<void> {
    const sink = this.ctx.sink;
    const late: typeof this.summaries = [];
    for (const sum of this.summaries) if (!(await this.summary(sum, false))) late.push(sum);
    // A new file often starts with summaries of older sessions that sort after it: try those last.
    if (late.length > 0) sink.atEnd.push(async () => {
      for (const sum of late) await this.summary(sum, true);
    });
  }

  private async summary({ rec, line, text }: { rec: Obj; line: number; text: string }, last: boolean): Promise<boolean> {
    const sink = this.ctx.sink;
    const leaf = str(rec.leafUuid);
    const owner = leaf && sink.uuidOwner(AGENT, leaf);
    if (!owner && !last) return false;
    const key = owner ? sink.keyOf(owner) : this.mainKey;
    const s = key && (await sink.existing(key));
    if (!s) {
      this.ctx.skip(this.path, line, `summary of a conversation that was not imported (leafUuid ${leaf ?? 'missing'})`);
      return true;
    }
    const rkey = `h:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (s.seen(rkey)) return true;
    const title = str(rec.summary);
    if (owner && title) {
      s.state.titled = 'agent';
      s.setTitle(title);
      s.touchState();
    }
    s.noteRecord(rkey);
    s.raw(this.path, line, text);
    return true;
  }
}
