/**
 * Maps the lines of one Codex rollout file. The notes' quirks, and what this does with them:
 * - `RolloutLine = {timestamp, type, payload}`; model-visible history is in `response_item`s, the
 *   UI copies (`event_msg` user_message / agent_message / agent_reasoning) are kept verbatim only,
 *   so nothing shows twice.
 * - Tool calls pair with outputs by `call_id` (function, custom, local shell, tool search); an
 *   output is an error when its JSON says a non-zero exit code, or its text is a sandbox failure or
 *   `Exit code: N` with N > 0.
 * - `token_count` totals are cumulative: each becomes the per-turn difference (the `last_*` figure
 *   when present, else this total minus the previous one), carried by the next model message.
 *   The model comes from the latest `turn_context` (fallback gpt-5, marked in meta).
 * - Harness-injected context (environment, instructions, AGENTS.md) is a system message, not
 *   something the human typed.
 * - A sub-agent's `session_meta.source.subagent.thread_spawn.parent_thread_id` links it to its
 *   parent; `compacted` records become summary threads.
 * Lines have no ids: a line's identity is the hash of its text.
 */
import { createHash } from 'node:crypto';
import type { MessageInput, ResourceUsage } from '../../model/types.js';
import { titleFromPrompt } from '../blocks.js';
import { estimateCost } from '../prices.js';
import type { Session, ThreadInit } from '../sink.js';
import type { ImportContext } from '../types.js';

type Obj = Record<string, unknown>;
const AGENT = 'codex';
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

const ITEM_TYPES = new Set(['message', 'reasoning', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'local_shell_call', 'web_search_call']);
const CONTEXT_RE = /^\s*(<environment_context>|<user_instructions>|<permissions|<INSTRUCTIONS>|# AGENTS\.md|<user_shell_command>|<turn_aborted>)/;

interface Totals {
  input: number;
  cached: number;
  output: number;
}

function totalsOf(u: unknown): Totals | undefined {
  if (!isObj(u)) return undefined;
  return { input: num(u.input_tokens), cached: num(u.cached_input_tokens), output: num(u.output_tokens) };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => (isObj(c) && typeof c.text === 'string' ? c.text : ''))
    .filter((t) => t !== '')
    .join('\n\n');
}

function parseMaybe(s: unknown): unknown {
  if (typeof s !== 'string') return s ?? null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

/** Whether a tool output says the call failed. */
function failed(output: unknown): boolean {
  const parsed = parseMaybe(output);
  if (isObj(parsed) && isObj(parsed.metadata) && typeof parsed.metadata.exit_code === 'number') return parsed.metadata.exit_code !== 0;
  if (typeof output === 'string') {
    if (/^failed in sandbox/.test(output)) return true;
    const m = /^Exit code: (\d+)/.exec(output);
    if (m) return Number(m[1]) !== 0;
  }
  return false;
}

/** One rollout file being imported. */
export class CodexFile {
  private session: Session | undefined;
  /** The id of the assistant message this file wrote last (items merge only into it). */
  private lastAssistant: string | undefined;

  constructor(
    private readonly path: string,
    private readonly sessionId: string,
    private readonly ctx: ImportContext,
  ) {}

  private init(meta?: Obj): () => ThreadInit {
    return () => {
      const cwd = meta && str(meta.cwd);
      const spawn = meta && isObj(meta.source) && isObj(meta.source.subagent) && isObj(meta.source.subagent.thread_spawn) ? meta.source.subagent.thread_spawn : undefined;
      const parentId = spawn && str(spawn.parent_thread_id);
      return {
        ...(cwd && { env: { cwd } }),
        meta: { source: { agent: AGENT, sessionId: this.sessionId, file: this.path, version: (meta && str(meta.cli_version)) ?? null } },
        ...(parentId && { parent: { key: `${AGENT}:${parentId}`, link: 'child' as const, init: () => ({ meta: { source: { agent: AGENT, sessionId: parentId, file: null, version: null } } }) } }),
      };
    };
  }

  /** Maps one line. */
  async record(rec: Obj, line: number, text: string): Promise<void> {
    let type = rec.type;
    let payload = isObj(rec.payload) ? rec.payload : undefined;
    if (!payload) {
      // The bare era (before Sept 2025): a bare meta line, `record_type: state` lines, un-enveloped items.
      if (type === undefined && typeof rec.id === 'string' && ('instructions' in rec || 'git' in rec)) [type, payload] = ['session_meta', rec];
      else if (typeof type === 'string' && ITEM_TYPES.has(type)) [type, payload] = ['response_item', rec];
    }
    const own = type === 'session_meta' && payload && (str(payload.id) ?? this.sessionId) === this.sessionId;
    const s = (this.session ??= await this.ctx.sink.session(`${AGENT}:${this.sessionId}`, this.init(own ? payload : undefined)));
    const rkey = `h:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    const seen = s.seen(rkey);
    if (seen) {
      if (seen.raw === 0) {
        s.noteRecord(rkey, seen.mid);
        s.raw(this.path, line, text);
      }
      return;
    }
    const ts = typeof rec.timestamp === 'string' ? Date.parse(rec.timestamp) : NaN;
    const at = Number.isFinite(ts) && ts >= 0 ? { timestamp: ts } : {};
    let mapped = false;
    if (own && payload) this.meta(s, payload);
    else if (type === 'turn_context' && payload) this.turnContext(s, payload);
    else if (type === 'response_item' && payload) mapped = this.item(s, payload, rkey, at);
    else if (type === 'event_msg' && payload) mapped = this.event(s, payload, rkey, at);
    else if (type === 'compacted' && payload) {
      const summary = await this.ctx.sink.session(`${s.key}/compact-${rkey}`, () => ({
        title: 'Compaction summary',
        meta: { source: s.getMeta('source') ?? { agent: AGENT } },
        parent: { key: s.key, link: 'summary', init: () => ({ meta: {} }) },
      }));
      if (!summary.seen(rkey)) summary.message('assistant:message', { content: str(payload.message) ?? '', ...at }, rkey);
    }
    if (!mapped) s.noteRecord(rkey);
    s.raw(this.path, line, text);
  }

  private meta(s: Session, p: Obj): void {
    const cwd = str(p.cwd);
    if (cwd) s.setEnv({ cwd });
    s.setMeta('source', { agent: AGENT, sessionId: this.sessionId, file: this.path, version: str(p.cli_version) ?? null });
    if (str(p.originator)) s.setMeta('originator', p.originator);
    const branch = isObj(p.git) ? str(p.git.branch) : undefined;
    if (branch) s.setMeta('gitBranch', branch);
    if (str(p.forked_from_id)) s.setMeta('forkedFrom', p.forked_from_id);
  }

  private turnContext(s: Session, p: Obj): void {
    const model = str(p.model);
    if (model && model !== s.state.model) {
      s.state.model = model;
      s.setMeta('model', model);
    }
    const cwd = str(p.cwd);
    if (cwd && cwd !== s.state.cwd) {
      s.state.cwd = cwd;
      s.setEnv({ cwd });
    }
  }

  /** Puts the usage waiting for a model message on `m` (with its estimated cost). */
  private takeUsage(s: Session, m: MessageInput): MessageInput {
    const u = s.state.pendingUsage as ResourceUsage | undefined;
    if (!u) return m;
    delete s.state.pendingUsage;
    const cost = estimateCost(u);
    if (cost !== undefined && s.getMeta('costEstimated') !== true) s.setMeta('costEstimated', true);
    return { ...m, resourceUsage: cost === undefined ? u : { ...u, costUSD: cost }, ...(cost !== undefined && { costEstimated: true }) };
  }

  /**
   * One model response is several items (reasoning, calls, text): an item joins the assistant
   * message just written when nothing came between and no new token count opened another call,
   * so parallel calls stay one message (their results then sort after all of them).
   */
  private assistantItem(s: Session, m: MessageInput, rkey: string): void {
    const last = s.lastMessage();
    const lm = last?.message;
    if (last?.type === 'assistant:message' && lm && !s.state.pendingUsage && lm.content === '' && lm.id && this.lastAssistant === lm.id) {
      if (m.content) lm.content = m.content;
      if (m.thinking) lm.thinking = [lm.thinking, m.thinking].filter(Boolean).join('\n\n');
      if (m.toolCalls) lm.toolCalls = [...(lm.toolCalls ?? []), ...m.toolCalls.filter((c) => !lm.toolCalls?.some((o) => o.id === c.id))];
      s.noteRecord(rkey, lm.id);
      return;
    }
    this.lastAssistant = s.message('assistant:message', this.takeUsage(s, m), rkey);
  }

  private item(s: Session, p: Obj, rkey: string, at: { timestamp?: number }): boolean {
    switch (p.type) {
      case 'message': {
        const content = textOf(p.content);
        if (p.role === 'assistant') {
          this.assistantItem(s, { content, ...at }, rkey);
        } else if (p.role === 'user' && !CONTEXT_RE.test(content)) {
          s.message('user:message', { content, ...at }, rkey);
          if (s.state.titled === undefined && s.title === undefined) {
            const t = titleFromPrompt(content.replace(/^[\s\S]*## My request for Codex:\s*/, ''));
            if (t) {
              s.state.titled = 'prompt';
              s.setTitle(t);
            }
          }
        } else s.message('system:message', { content, ...at, kind: p.role === 'user' ? 'context' : String(p.role ?? 'system') }, rkey);
        return true;
      }
      case 'reasoning': {
        const summary = Array.isArray(p.summary) ? p.summary.map((x) => (isObj(x) && typeof x.text === 'string' ? x.text : '')).filter(Boolean) : [];
        this.assistantItem(s, { content: '', ...at, thinking: summary.join('\n\n') || '[encrypted reasoning]' }, rkey);
        return true;
      }
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call':
      case 'tool_search_call':
      case 'web_search_call': {
        const id = str(p.call_id) ?? str(p.id) ?? rkey;
        const name = str(p.name) ?? String(p.type).replace(/_call$/, '');
        const input = p.type === 'function_call' ? parseMaybe(p.arguments) : (p.input ?? p.action ?? p.arguments ?? null);
        this.assistantItem(s, { content: '', ...at, toolCalls: [{ id, name, input: input === undefined ? null : input }] }, rkey);
        return true;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'tool_search_output': {
        const id = str(p.call_id);
        if (!id) return false;
        const output = p.output ?? null;
        s.message('user:message', { content: '', ...at, toolResults: [{ toolCallId: id, output, ...(failed(output) && { isError: true }) }] }, rkey);
        return true;
      }
      default:
        return false;
    }
  }

  private event(s: Session, p: Obj, rkey: string, at: { timestamp?: number }): boolean {
    if (p.type === 'token_count') {
      const info = isObj(p.info) ? p.info : undefined;
      const total = info && totalsOf(info.total_token_usage);
      if (!total) return false;
      const prev = s.state.totals as Totals | undefined;
      const last = totalsOf(info.last_token_usage) ?? {
        input: Math.max(0, total.input - (prev?.input ?? 0)),
        cached: Math.max(0, total.cached - (prev?.cached ?? 0)),
        output: Math.max(0, total.output - (prev?.output ?? 0)),
      };
      s.state.totals = total;
      s.touchState();
      if (prev && prev.input === total.input && prev.output === total.output && prev.cached === total.cached) return false;
      const model = (s.state.model as string | undefined) ?? 'gpt-5';
      if (!s.state.model && s.getMeta('modelAssumed') === undefined) s.setMeta('modelAssumed', 'gpt-5');
      const usage: ResourceUsage = { model, inputTokens: Math.max(0, last.input - last.cached), cacheReadTokens: last.cached, outputTokens: last.output, cacheWriteTokens: 0 };
      // A usage nobody took (two counts in a row) still counts: it gets a message of its own.
      if (s.state.pendingUsage) s.message('system:message', this.takeUsage(s, { content: '', ...at, kind: 'usage' }), `${rkey}:u`);
      s.state.pendingUsage = usage;
      return false;
    }
    if (p.type === 'turn_aborted') {
      s.message('system:message', { content: `Turn aborted${str(p.reason) ? `: ${p.reason as string}` : ''}`, ...at, kind: 'turn_aborted' }, rkey);
      return true;
    }
    if (p.type === 'context_compacted') {
      s.message('system:message', { content: 'Context compacted', ...at, kind: 'compaction' }, rkey);
      return true;
    }
    return false;
  }
}
