/**
 * Cline: `<globalStorage>/saoudrizwan.claude-dev/tasks/<taskId>/` with `api_conversation_history.json`
 * (Anthropic messages: the conversation, tool pairing by `tool_use.id`) and `ui_messages.json`
 * (per-request usage and cost in `api_req_started`). Both are whole JSON arrays rewritten on every
 * save: a write cut short leaves a truncated array, whose complete entries still import (reported).
 * Records have no ids: an API message's identity is its content hash and occurrence, a UI entry's
 * its `ts`. The task's cwd comes from `state/taskHistory.json` when it is beside `tasks/`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { MessageInput } from '../../model/types.js';
import { mapBlocks, messageOf, titleFromPrompt } from '../blocks.js';
import { hashOf, markRead, once, salvageArray } from '../doc-session.js';
import { discoverFiles } from '../json-lines.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';

type Obj = Record<string, unknown>;
const AGENT = 'cline';
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
const FILES = ['api_conversation_history.json', 'claude_messages.json', 'ui_messages.json'];

async function readArray(file: string, ctx: ImportContext): Promise<unknown[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text.trim() === '') return [];
  const { items, truncated } = salvageArray(text);
  if (truncated) ctx.skip(file, 0, `truncated or malformed JSON array: ${items.length} complete entries imported`);
  return items;
}

async function historyItem(tasksDir: string, taskId: string): Promise<Obj | undefined> {
  try {
    const list = JSON.parse(await readFile(join(dirname(tasksDir), 'state', 'taskHistory.json'), 'utf8')) as unknown;
    return Array.isArray(list) ? (list.find((x) => isObj(x) && x.id === taskId) as Obj | undefined) : undefined;
  } catch {
    return undefined;
  }
}

function stripTask(text: string): string {
  return text.replace(/^\s*<task>\s*/, '').replace(/\s*<\/task>[\s\S]*$/, '');
}

async function importTask(dir: string, ctx: ImportContext): Promise<void> {
  const taskId = basename(dir);
  const item = await historyItem(dirname(dir), taskId);
  const api = (await readArray(join(dir, 'api_conversation_history.json'), ctx)) ?? (await readArray(join(dir, 'claude_messages.json'), ctx)) ?? [];
  const ui = (await readArray(join(dir, 'ui_messages.json'), ctx)) ?? [];
  if (api.length === 0 && ui.length === 0) return;
  const s = await ctx.sink.session(`${AGENT}:${taskId}`, () => {
    const cwd = str(item?.cwdOnTaskInitialization);
    return { ...(cwd && { env: { cwd } }), meta: { source: { agent: AGENT, sessionId: taskId, file: dir, version: null } } };
  });
  const task = ui.find((u) => isObj(u) && u.say === 'task') as Obj | undefined;
  if (s.state.titled === undefined && s.title === undefined) {
    const t = titleFromPrompt(str(item?.task) ?? str(task?.text) ?? '');
    if (t) {
      s.state.titled = 'prompt';
      s.setTitle(t);
    }
  }
  const occurrences = new Map<string, number>();
  for (const m of api) {
    if (!isObj(m) || (m.role !== 'user' && m.role !== 'assistant')) continue;
    const raw = JSON.stringify(m);
    const h = hashOf(raw);
    const n = (occurrences.get(h) ?? 0) + 1;
    occurrences.set(h, n);
    once(s, `api:${h}:${n}`, join(dir, 'api_conversation_history.json'), raw, () => {
      const msg: MessageInput = messageOf(mapBlocks(ctx.sink.db, m.content));
      if (m.role === 'user') msg.content = stripTask(msg.content);
      if (typeof m.ts === 'number') msg.timestamp = m.ts;
      if (isObj(m.modelInfo) && str(m.modelInfo.modelId)) s.setMeta('model', m.modelInfo.modelId);
      return [{ type: m.role === 'user' ? 'user:message' : 'assistant:message', message: msg }];
    });
  }
  for (const u of ui) {
    if (!isObj(u) || typeof u.ts !== 'number' || u.partial === true) continue;
    const raw = JSON.stringify(u);
    if (u.say !== 'api_req_started') {
      once(s, `ui:${u.ts}:${hashOf(String(u.type) + String(u.say ?? u.ask))}`, join(dir, 'ui_messages.json'), raw, () => []);
      continue;
    }
    let info: Obj = {};
    try {
      const v = JSON.parse(String(u.text ?? '{}')) as unknown;
      if (isObj(v)) info = v;
    } catch {
      // usage unknown: kept verbatim
    }
    // A request still running has no figures yet: it waits for the next import.
    if (info.tokensIn === undefined && info.cost === undefined && info.cancelReason === undefined) continue;
    once(s, `ui:${u.ts}:req`, join(dir, 'ui_messages.json'), raw, () => {
      const model = isObj(u.modelInfo) ? str(u.modelInfo.modelId) : (s.getMeta('model') as string | undefined);
      return [
        {
          type: 'system:message',
          message: {
            content: '',
            timestamp: u.ts as number,
            kind: 'api_request',
            resourceUsage: {
              ...(model && { model }),
              inputTokens: num(info.tokensIn),
              outputTokens: num(info.tokensOut),
              cacheReadTokens: num(info.cacheReads),
              cacheWriteTokens: num(info.cacheWrites),
              costUSD: typeof info.cost === 'number' && info.cost >= 0 ? info.cost : 0,
            },
          },
        },
      ];
    });
  }
}

/** See the module comment. */
export const clineImporter: Importer = {
  agent: 'cline',
  defaultPaths(env) {
    const roots = [join(homedir(), '.config', 'Code', 'User', 'globalStorage'), join(homedir(), 'Library', 'Application Support', 'Code', 'User', 'globalStorage')];
    if (env.APPDATA) roots.push(join(env.APPDATA, 'Code', 'User', 'globalStorage'));
    return roots.map((r) => join(r, 'saoudrizwan.claude-dev', 'tasks'));
  },
  discover: (path) => discoverFiles(path, (_rel, name) => FILES.includes(name)),
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    ctx.sink.touched.clear();
    // A task is read once, from its API history when it has one.
    const hasApi = async (name: string) => (await readFile(join(dirname(unit.path), name)).then(() => true, () => false));
    const name = basename(unit.path);
    const skip = name === 'ui_messages.json' ? (await hasApi(FILES[0]!)) || (await hasApi(FILES[1]!)) : name === FILES[1] && (await hasApi(FILES[0]!));
    if (!skip) await importTask(dirname(unit.path), ctx);
    await markRead(unit, ctx);
  },
};
