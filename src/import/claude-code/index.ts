/**
 * Claude Code: `~/.claude/projects/<encoded cwd>/<session>.jsonl`, sub-agents in flat
 * `agent-<id>.jsonl` files (2.0.x), in `<session>/subagents/` (2.1.2+) or inline as sidechains
 * (1.0.x). Records form a tree over uuid/parentUuid; see record.ts for the mapping.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { discoverFiles, importJsonLines } from '../json-lines.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';
import { ClaudeFile, type FileKind } from './record.js';

function kindOf(path: string): FileKind {
  const name = basename(path, '.jsonl');
  const parentDir = dirname(path);
  if (basename(parentDir) === 'subagents' && name.startsWith('agent-'))
    return { kind: 'subagent', agentId: name.slice(6), parentSession: basename(dirname(parentDir)) };
  // Workflow fan-outs: <session>/subagents/workflows/<runId>/agent-*.jsonl
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf('workflows');
  if (name.startsWith('agent-') && at >= 2 && parts[at - 1] === 'subagents')
    return { kind: 'subagent', agentId: `${parts[at + 1]}/${name.slice(6)}`, parentSession: parts[at - 2]! };
  if (name.startsWith('agent-')) return { kind: 'subagent', agentId: name.slice(6) };
  return { kind: 'main', sessionId: name };
}

async function agentMeta(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v = JSON.parse(await readFile(path.replace(/\.jsonl$/, '.meta.json'), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** See the module comment. */
export const claudeCodeImporter: Importer = {
  agent: 'claude-code',
  defaultPaths(env) {
    const dirs = env.CLAUDE_CONFIG_DIR ? env.CLAUDE_CONFIG_DIR.split(',').filter(Boolean) : [join(homedir(), '.claude'), join(homedir(), '.config', 'claude')];
    return dirs.map((d) => join(d.trim(), 'projects'));
  },
  discover(path) {
    // Sessions before their sub-agents, so that a parent exists when its children arrive.
    return discoverFiles(
      path,
      (rel, name) => name.endsWith('.jsonl') && name !== 'journal.jsonl' && name !== 'history.jsonl' && (!rel.includes('/workflows/') || name.startsWith('agent-')),
      (rel) => (rel.includes('/subagents/') ? 2 : basename(rel).startsWith('agent-') ? 1 : 0),
    );
  },
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    const kind = kindOf(unit.path);
    const meta = kind.kind === 'subagent' ? await agentMeta(unit.path) : undefined;
    const file = new ClaudeFile(unit.path, kind, meta, ctx);
    await importJsonLines(
      unit,
      ctx,
      (rec, line) => file.record(rec, line.line, line.text),
      () => file.end(),
      (recs) => file.prefetch(recs),
    );
  },
};
