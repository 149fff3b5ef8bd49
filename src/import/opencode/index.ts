/**
 * OpenCode: the data folder (`${XDG_DATA_HOME:-~/.local/share}/opencode`, or OPENCODE_DATA_DIR),
 * its `storage/` JSON tree, or an `opencode.db`. One thread per session; child sessions
 * (`parentID`) are sub-agent threads; an assistant message with `summary: true` (compaction) is a
 * summary thread. A tool part holds call and result in one record: it becomes a call on the
 * assistant message and a result message after it. A message still being written (the last one,
 * not completed) waits for the next import; a tool left pending by a crash, with later messages
 * after it, gets OpenCode's own "[Tool execution was interrupted]" error result.
 * Usage and cost are OpenCode's own per message (not estimated).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { MessageInput } from '../../model/types.js';
import { markRead, once } from '../doc-session.js';
import { discoverFiles } from '../json-lines.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';
import { readDbSessions, readJsonSession, type OcProblem, type OcSession } from './read.js';

type Obj = Record<string, unknown>;
const AGENT = 'opencode';
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

function isSessionFile(rel: string): boolean {
  const p = rel.split('/');
  // flat storage/session/<project>/<id>.json, or nested .../session/info/<id>.json
  return p.length >= 3 && p[p.length - 3] === 'session' && p[p.length - 1]!.startsWith('ses');
}

function interrupted(parts: { data: Obj }[]): boolean {
  return parts.some((p) => p.data.type === 'tool' && isObj(p.data.state) && (p.data.state.status === 'pending' || p.data.state.status === 'running'));
}

function mapMessage(info: Obj, parts: { id: string; data: Obj }[]): { main: MessageInput; results?: MessageInput } {
  const text: string[] = [];
  const thinking: string[] = [];
  const toolCalls: { id: string; name: string; input: unknown }[] = [];
  const toolResults: { toolCallId: string; output: unknown; isError?: boolean }[] = [];
  const files: { mime?: string; filename?: string; url?: string }[] = [];
  for (const { id, data: p } of parts) {
    if (p.type === 'text' && typeof p.text === 'string' && p.ignored !== true) text.push(p.text);
    else if (p.type === 'reasoning' && typeof p.text === 'string') thinking.push(p.text);
    else if (p.type === 'file') files.push({ ...(str(p.mime) && { mime: p.mime as string }), ...(str(p.filename) && { filename: p.filename as string }), ...(str(p.url) && !String(p.url).startsWith('data:') && { url: p.url as string }) });
    else if (p.type === 'tool') {
      const st = isObj(p.state) ? p.state : {};
      const callId = str(p.callID) ?? id;
      toolCalls.push({ id: callId, name: str(p.tool) ?? 'tool', input: st.input ?? null });
      if (st.status === 'completed') toolResults.push({ toolCallId: callId, output: st.output ?? '' });
      else if (st.status === 'error') toolResults.push({ toolCallId: callId, output: st.error ?? 'error', isError: true });
      else toolResults.push({ toolCallId: callId, output: '[Tool execution was interrupted]', isError: true });
    }
  }
  const time = isObj(info.time) ? num(info.time.created) : 0;
  const main: MessageInput = {
    content: text.join('\n\n'),
    ...(time > 0 && { timestamp: time }),
    ...(thinking.length > 0 && { thinking: thinking.join('\n\n') }),
    ...(toolCalls.length > 0 && { toolCalls }),
    ...(files.length > 0 && { files }),
  };
  const tokens = isObj(info.tokens) ? info.tokens : undefined;
  if (info.role === 'assistant' && tokens) {
    const cache = isObj(tokens.cache) ? tokens.cache : {};
    const model = str(info.modelID);
    main.resourceUsage = {
      ...(model && { model }),
      inputTokens: num(tokens.input),
      outputTokens: num(tokens.output) + num(tokens.reasoning),
      cacheReadTokens: num(cache.read),
      cacheWriteTokens: num(cache.write),
      costUSD: typeof info.cost === 'number' && info.cost >= 0 ? info.cost : 0,
    };
  }
  if (isObj(info.error)) main.error = info.error;
  return { main, ...(toolResults.length > 0 && { results: { content: '', ...(time > 0 && { timestamp: time }), toolResults } }) };
}

async function importSession(oc: OcSession, file: string, ctx: ImportContext): Promise<void> {
  const info = oc.info;
  const parent = str(info.parentID);
  const init = () => {
    const cwd = str(info.directory);
    return {
      ...(str(info.title) && { title: info.title as string }),
      ...(cwd && { env: { cwd } }),
      meta: { source: { agent: AGENT, sessionId: oc.id, file, version: str(info.version) ?? null } },
      ...(parent && { parent: { key: `${AGENT}:${parent}`, link: 'child' as const, init: () => ({ meta: { source: { agent: AGENT, sessionId: parent, file: null, version: null } } }) } }),
    };
  };
  const s = await ctx.sink.session(`${AGENT}:${oc.id}`, init);
  s.setMeta('source', { agent: AGENT, sessionId: oc.id, file, version: str(info.version) ?? null });
  if (str(info.title)) s.setTitle(info.title as string);
  if (str(info.directory)) s.setEnv({ cwd: info.directory as string });
  once(s, `session:${oc.id}`, file, oc.raw, () => []);
  for (const [i, m] of oc.messages.entries()) {
    const last = i === oc.messages.length - 1;
    const done = m.info.role !== 'assistant' || (isObj(m.info.time) && m.info.time.completed !== undefined) || str(m.info.finish) !== undefined || isObj(m.info.error);
    // The newest message may still be streaming: it waits for the next import.
    if (last && (!done || interrupted(m.parts))) break;
    const raw = JSON.stringify({ info: m.info, parts: m.parts.map((p) => p.data) });
    if (m.info.role === 'assistant' && m.info.summary === true) {
      const sum = await ctx.sink.session(`${s.key}/compact-${m.id}`, () => ({ title: 'Compaction summary', meta: { source: s.getMeta('source') }, parent: { key: s.key, link: 'summary', init: () => ({ meta: {} }) } }));
      once(sum, m.id, file, raw, () => [{ type: 'assistant:message', message: mapMessage(m.info, m.parts).main }]);
      continue;
    }
    once(s, m.id, file, raw, () => {
      const { main, results } = mapMessage(m.info, m.parts);
      if (m.info.role === 'user') {
        if (s.state.titled === undefined && s.title === undefined && main.content) {
          s.state.titled = 'prompt';
          s.setTitle(main.content.split('\n')[0]!.slice(0, 100));
        }
        return [{ type: 'user:message', message: main }];
      }
      const model = str(m.info.modelID);
      if (model) s.setMeta('model', model);
      const cwd = isObj(m.info.path) ? str(m.info.path.cwd) : undefined;
      if (cwd && !str(info.directory)) s.setEnv({ cwd });
      return [{ type: 'assistant:message', message: main }, ...(results ? [{ type: 'user:message' as const, message: results, suffix: ':results' }] : [])];
    });
  }
}

/** See the module comment. */
export const opencodeImporter: Importer = {
  agent: 'opencode',
  defaultPaths(env) {
    const data = env.OPENCODE_DATA_DIR || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'opencode');
    return [data];
  },
  discover: (path) =>
    discoverFiles(
      path,
      (rel, name) => (/^opencode(-[\w.-]+)?\.db$/.test(name) && !rel.includes('/')) || /^opencode(-[\w.-]+)?\.db$/.test(name) || (name.endsWith('.json') && isSessionFile(rel)),
      (rel) => (rel.endsWith('.db') ? 1 : 0),
    ),
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    const problems: OcProblem[] = [];
    const sessions: OcSession[] = [];
    if (unit.path.endsWith('.db')) sessions.push(...readDbSessions(unit.path, problems));
    else {
      const one = await readJsonSession(unit.path, problems);
      if (one) sessions.push(one);
    }
    for (const p of problems) ctx.skip(p.file, 0, p.reason);
    ctx.sink.touched.clear();
    for (const oc of sessions) await importSession(oc, unit.path, ctx);
    await markRead(unit, ctx);
  },
};
