/**
 * Codex CLI: `${CODEX_HOME:-~/.codex}/sessions/YYYY/MM/DD/rollout-<local time>-<uuid>.jsonl`
 * (older builds: flat `sessions/rollout-*.jsonl`), plus `archived_sessions/`. The session id is
 * the uuid in the file name (the same as `session_meta.id`), so a file read from the middle still
 * knows its thread. Compressed (`.jsonl.zst`) rollouts are reported as skipped.
 */
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { discoverFiles, importJsonLines } from '../json-lines.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';
import { CodexFile } from './record.js';

const UUID_RE = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\.jsonl|\/rollout\.jsonl)$/i;

/** See the module comment. */
export const codexImporter: Importer = {
  agent: 'codex',
  defaultPaths(env) {
    const home = env.CODEX_HOME || join(homedir(), '.codex');
    return [join(home, 'sessions'), join(home, 'archived_sessions')];
  },
  discover: (path) => discoverFiles(path, (_rel, name) => (name.startsWith('rollout') && name.endsWith('.jsonl')) || name.endsWith('.jsonl.zst') || /^compact-\d+\.jsonl$/.test(name)),
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    if (unit.path.endsWith('.zst')) {
      ctx.skip(unit.path, 0, 'zstd-compressed rollout: decompress it first (zstd -d)');
      return;
    }
    const id = UUID_RE.exec(unit.path.replace(/\/compact-\d+\.jsonl$/, '/rollout.jsonl'))?.[1] ?? `file-${basename(unit.path, '.jsonl')}`;
    const file = new CodexFile(unit.path, id.toLowerCase(), ctx);
    await importJsonLines(unit, ctx, (rec, line) => file.record(rec, line.line, line.text));
  },
};
