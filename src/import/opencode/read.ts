/**
 * Reads OpenCode sessions into one shape, from either storage generation: the JSON tree (flat
 * `storage/session/<project>/<id>.json`, `storage/message/<session>/<id>.json`,
 * `storage/part/<message>/<id>.json`, or the older project-nested `session/info|message|part`
 * layout) or the SQLite `opencode.db` of 1.2+ (opened read-only; `message.data` / `part.data` are
 * the same JSON objects without their ids). The path, not the JSON, is authoritative for ids.
 * Unreadable files (0 bytes after a full disk, NUL bytes after a crash) are reported and skipped.
 */
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

type Obj = Record<string, unknown>;

/** One OpenCode session with its messages, each with its parts, in order. */
export interface OcSession {
  id: string;
  info: Obj;
  raw: string;
  messages: { id: string; info: Obj; parts: { id: string; data: Obj }[] }[];
}

/** A file or row that could not be read. */
export interface OcProblem {
  file: string;
  reason: string;
}

async function readJson(file: string, problems: OcProblem[]): Promise<Obj | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    problems.push({ file, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return undefined;
  }
  if (text.trim() === '' || text.includes('\0')) {
    problems.push({ file, reason: text.includes('\0') ? 'file full of NUL bytes (crash)' : 'empty file' });
    return undefined;
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj;
    problems.push({ file, reason: 'not a JSON object' });
  } catch (err) {
    problems.push({ file, reason: `malformed JSON: ${(err as Error).message}` });
  }
  return undefined;
}

async function jsonFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
  } catch {
    return [];
  }
}

function byTime(a: { id: string; info: Obj }, b: { id: string; info: Obj }): number {
  const ta = Number((a.info.time as Obj | undefined)?.created ?? 0);
  const tb = Number((b.info.time as Obj | undefined)?.created ?? 0);
  return ta - tb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A session of the JSON tree, from its session file. */
export async function readJsonSession(sessionFile: string, problems: OcProblem[]): Promise<OcSession | undefined> {
  const info = await readJson(sessionFile, problems);
  if (!info) return undefined;
  const id = basename(sessionFile, '.json');
  // flat: storage/session/<project>/<id>.json; nested: <root>/session/info/<id>.json
  const nested = basename(dirname(sessionFile)) === 'info';
  const root = nested ? dirname(dirname(sessionFile)) : dirname(dirname(dirname(sessionFile)));
  const messageDir = nested ? join(root, 'message', id) : join(root, 'message', id);
  const messages: OcSession['messages'] = [];
  for (const mf of await jsonFiles(messageDir)) {
    const m = await readJson(mf, problems);
    if (!m) continue;
    const mid = basename(mf, '.json');
    const partDir = nested ? join(root, 'part', id, mid) : join(root, 'part', mid);
    const parts: { id: string; data: Obj }[] = [];
    for (const pf of await jsonFiles(partDir)) {
      const p = await readJson(pf, problems);
      if (p) parts.push({ id: basename(pf, '.json'), data: p });
    }
    messages.push({ id: mid, info: m, parts });
  }
  messages.sort(byTime);
  return { id, info, raw: JSON.stringify(info), messages };
}

interface Db {
  prepare(sql: string): { all(...p: unknown[]): unknown[] };
  close(): void;
}

function parseData(s: unknown): Obj {
  try {
    const v = JSON.parse(String(s)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
  } catch {
    return {};
  }
}

/** Every session of an `opencode.db` (read-only), oldest first. */
export function readDbSessions(file: string, problems: OcProblem[]): OcSession[] {
  const require = createRequire(import.meta.url);
  const Sqlite = require('better-sqlite3') as new (f: string, o: { readonly: boolean; fileMustExist: boolean }) => Db;
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    // OpenCode 2.0 renamed the table (session_v2); the columns read here are the same.
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const table = tables.has('session') ? 'session' : 'session_v2';
    const sessions = db.prepare(`SELECT * FROM ${table} ORDER BY time_created, id`).all() as Obj[];
    const out: OcSession[] = [];
    for (const row of sessions) {
      const id = String(row.id);
      const info: Obj = {
        id,
        ...(row.parent_id ? { parentID: row.parent_id } : {}),
        ...(row.title ? { title: row.title } : {}),
        ...(row.directory ? { directory: row.directory } : {}),
        ...(row.version ? { version: row.version } : {}),
        time: { created: row.time_created, updated: row.time_updated },
      };
      const parts = new Map<string, { id: string; data: Obj }[]>();
      for (const p of db.prepare('SELECT id, message_id, data FROM part WHERE session_id = ? ORDER BY id').all(id) as Obj[]) {
        const list = parts.get(String(p.message_id)) ?? [];
        list.push({ id: String(p.id), data: parseData(p.data) });
        parts.set(String(p.message_id), list);
      }
      const messages = (db.prepare('SELECT id, time_created, data FROM message WHERE session_id = ? ORDER BY time_created, id').all(id) as Obj[]).map((m) => {
        const data = parseData(m.data);
        if (!data.time) data.time = { created: m.time_created };
        return { id: String(m.id), info: data, parts: parts.get(String(m.id)) ?? [] };
      });
      out.push({ id, info, raw: JSON.stringify(row), messages });
    }
    return out;
  } catch (err) {
    problems.push({ file, reason: `not an OpenCode database: ${(err as Error).message}` });
    return [];
  } finally {
    db.close();
  }
}
