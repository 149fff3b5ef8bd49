/**
 * Amp (legacy local store): `${AMP_DATA_DIR:-${XDG_DATA_HOME:-~/.local/share}/amp}/threads/T-<uuid>.json`,
 * one JSON document per thread, rewritten as it grows. A message's identity is its `messageId`;
 * one still streaming or running waits for the next import. Tool results pair with calls by
 * `toolUseID`; a run that did not finish `done` is an error. Usage comes from `messages[].usage`;
 * Amp bills in credits, kept as `credits` on the message (from the usage or the older
 * `usageLedger`), beside a dollar estimate from the price table marked `costEstimated`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { MessageInput, ResourceUsage, ToolCall, ToolResult } from '../../model/types.js';
import { titleFromPrompt } from '../blocks.js';
import { markRead, once } from '../doc-session.js';
import { discoverFiles } from '../json-lines.js';
import { estimateCost } from '../prices.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';

type Obj = Record<string, unknown>;
const AGENT = 'amp';
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

function cwdOf(doc: Obj): string | undefined {
  const env = isObj(doc.env) && isObj(doc.env.initial) ? doc.env.initial : undefined;
  const tree = env && Array.isArray(env.trees) ? (env.trees[0] as Obj | undefined) : undefined;
  const uri = tree && str(tree.uri);
  if (!uri?.startsWith('file://')) return undefined;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return undefined;
  }
}

function mapContent(content: unknown): MessageInput {
  const text: string[] = [];
  const thinking: string[] = [];
  const toolCalls: ToolCall[] = [];
  const toolResults: ToolResult[] = [];
  for (const b of Array.isArray(content) ? content : []) {
    if (!isObj(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') text.push(b.text);
    else if (b.type === 'thinking' && typeof b.thinking === 'string') thinking.push(b.thinking);
    else if (b.type === 'tool_use' && str(b.id) && !toolCalls.some((c) => c.id === b.id)) toolCalls.push({ id: b.id as string, name: str(b.name) ?? 'tool', input: b.input ?? null });
    else if (b.type === 'tool_result' && str(b.toolUseID)) {
      const run = isObj(b.run) ? b.run : {};
      const ok = run.status === 'done';
      toolResults.push({ toolCallId: b.toolUseID as string, output: run.result ?? (isObj(run.error) ? run.error.message : run.error) ?? String(run.status ?? ''), ...(!ok && { isError: true }) });
    }
  }
  return {
    content: text.join('\n\n'),
    ...(thinking.length > 0 && { thinking: thinking.join('\n\n') }),
    ...(toolCalls.length > 0 && { toolCalls }),
    ...(toolResults.length > 0 && { toolResults }),
  };
}

async function importThread(file: string, ctx: ImportContext): Promise<void> {
  let doc: Obj;
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (!isObj(v)) throw new Error('not a JSON object');
    doc = v;
  } catch (err) {
    ctx.skip(file, 0, `unreadable thread document: ${(err as Error).message}`);
    return;
  }
  const id = str(doc.id) ?? basename(file, '.json');
  const messages = Array.isArray(doc.messages) ? doc.messages.filter(isObj) : [];
  const ledger = new Map<number, number>();
  const events = isObj(doc.usageLedger) && Array.isArray(doc.usageLedger.events) ? doc.usageLedger.events : [];
  for (const e of events) if (isObj(e) && typeof e.toMessageId === 'number' && typeof e.credits === 'number') ledger.set(e.toMessageId, (ledger.get(e.toMessageId) ?? 0) + e.credits);
  const s = await ctx.sink.session(`${AGENT}:${id}`, () => {
    const cwd = cwdOf(doc);
    return { ...(cwd && { env: { cwd } }), meta: { source: { agent: AGENT, sessionId: id, file, version: isObj(doc.env) && isObj(doc.env.initial) && isObj(doc.env.initial.platform) ? (str(doc.env.initial.platform.clientVersion) ?? null) : null } } };
  });
  if (str(doc.title)) {
    s.state.titled = 'agent';
    s.setTitle(doc.title as string);
  }
  if (str(doc.agentMode)) s.setMeta('agentMode', doc.agentMode);
  for (const m of messages) {
    const state = isObj(m.state) ? str(m.state.type) : undefined;
    if (state === 'streaming' || state === 'running') break;
    const mid = typeof m.messageId === 'number' || typeof m.messageId === 'string' ? String(m.messageId) : undefined;
    if (!mid) continue;
    once(s, `m:${mid}`, file, JSON.stringify(m), () => {
      const msg = mapContent(m.content);
      const sent = isObj(m.meta) ? num(m.meta.sentAt) : 0;
      const u = isObj(m.usage) ? m.usage : undefined;
      const ts = sent || (u && typeof u.timestamp === 'string' ? Date.parse(u.timestamp) : 0);
      if (ts > 0) msg.timestamp = ts;
      if (u) {
        const model = str(u.model);
        const usage: ResourceUsage = {
          ...(model && { model }),
          inputTokens: num(u.inputTokens),
          outputTokens: num(u.outputTokens),
          cacheReadTokens: num(u.cacheReadInputTokens),
          cacheWriteTokens: num(u.cacheCreationInputTokens),
        };
        const cost = estimateCost(usage);
        msg.resourceUsage = cost === undefined ? usage : { ...usage, costUSD: cost };
        if (cost !== undefined) {
          msg.costEstimated = true;
          s.setMeta('costEstimated', true);
        }
      }
      const credits = u && typeof u.credits === 'number' ? u.credits : ledger.get(Number(mid));
      if (credits !== undefined) msg.credits = credits;
      if (m.role === 'user' && !msg.toolResults && s.state.titled === undefined && s.title === undefined) {
        const t = titleFromPrompt(msg.content);
        if (t) {
          s.state.titled = 'prompt';
          s.setTitle(t);
        }
      }
      const type = m.role === 'user' ? 'user:message' : m.role === 'assistant' ? 'assistant:message' : 'system:message';
      return [{ type, message: type === 'system:message' ? { ...msg, kind: String(m.role ?? 'info') } : msg }];
    });
  }
}

/** See the module comment. */
export const ampImporter: Importer = {
  agent: 'amp',
  defaultPaths(env) {
    const data = env.AMP_DATA_DIR || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'amp');
    return [join(data, 'threads')];
  },
  discover: (path) => discoverFiles(path, (_rel, name) => name.endsWith('.json')),
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    ctx.sink.touched.clear();
    await importThread(unit.path, ctx);
    await markRead(unit, ctx);
  },
};
