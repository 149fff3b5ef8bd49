/**
 * The thread list: `Store.listThreads` pages (newest activity first, stable cursors), filtered by
 * kind, archived state, model, working directory or repository, and source agent, each row with
 * its total cost and models from `Store.usage` (remembered by thread version, `usage-cache.ts`). A filtered page scans whole store pages until it
 * has enough rows (or has looked at {@link SCAN_LIMIT} threads), so its cursor never skips one.
 */
import type { Store, ThreadInfo, ThreadSummary } from '../store/store.js';
import { kindOf, type ThreadKind } from '../store/policy.js';
import type { UsageReport } from '../store/relations.js';
import { threadUsage } from './usage-cache.js';

/** The list filters, from the page's query string. */
export interface ListFilters {
  kind?: ThreadKind;
  archived?: 'active' | 'archived';
  model?: string;
  /** Matched as a substring of `env.cwd` or of a repository named in meta. */
  cwd?: string;
  /** `meta.source.agent`. */
  agent?: string;
}

/** One row of the list. */
export interface ListRow {
  info: ThreadSummary;
  kind: ThreadKind;
  agent: string | undefined;
  usage: UsageReport;
}

const SCAN_LIMIT = 1000;
const KINDS: readonly ThreadKind[] = ['main', 'subagent', 'summary'];

/** Filters from query parameters; unknown values are ignored rather than refused (it is a page). */
export function parseFilters(q: Record<string, string | undefined>): ListFilters {
  const f: ListFilters = {};
  if (q.kind && (KINDS as readonly string[]).includes(q.kind)) f.kind = q.kind as ThreadKind;
  if (q.archived === 'active' || q.archived === 'archived') f.archived = q.archived;
  for (const k of ['model', 'cwd', 'agent'] as const) {
    const v = q[k]?.trim();
    if (v) f[k] = v.slice(0, 200);
  }
  return f;
}

/** The filters as a query string (without `?`), for links and fetches. */
export function filterQuery(f: ListFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined) p.set(k, String(v));
  return p.toString();
}

/** The source agent of a thread (`meta.source.agent`), when it names one. */
export function agentOf(info: Pick<ThreadInfo, 'meta'>): string | undefined {
  const source = info.meta?.source;
  const agent = source && typeof source === 'object' ? (source as Record<string, unknown>).agent : undefined;
  return typeof agent === 'string' ? agent : undefined;
}

/** Where a thread ran: its `env.cwd`, and a repository when meta names one. */
export function placeOf(info: Pick<ThreadInfo, 'env' | 'meta'>): string[] {
  const out: string[] = [];
  if (typeof info.env?.cwd === 'string') out.push(info.env.cwd);
  for (const k of ['repository', 'repo', 'gitRepository', 'gitBranch']) {
    const v = info.meta?.[k];
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

function matchesHead(info: ThreadSummary, f: ListFilters): boolean {
  if (f.kind && kindOf(info) !== f.kind) return false;
  if (f.archived === 'active' && info.archived !== undefined) return false;
  if (f.archived === 'archived' && info.archived === undefined) return false;
  if (f.agent && agentOf(info) !== f.agent) return false;
  if (f.cwd && !placeOf(info).some((p) => p.includes(f.cwd!))) return false;
  return true;
}

/** A row for one thread, or undefined when the filters leave it out. */
export async function listRow(store: Store, info: ThreadSummary, f: ListFilters): Promise<ListRow | undefined> {
  if (!matchesHead(info, f)) return undefined;
  const usage = await threadUsage(store, info);
  if (f.model && !Object.hasOwn(usage.byModel, f.model)) return undefined;
  return { info, kind: kindOf(info), agent: agentOf(info), usage };
}

/** A page of rows and the cursor of the next one. */
export async function listPage(store: Store, f: ListFilters, options: { cursor?: string; limit?: number }): Promise<{ rows: ListRow[]; nextCursor?: string }> {
  const limit = options.limit ?? 50;
  const rows: ListRow[] = [];
  let cursor = options.cursor;
  let scanned = 0;
  for (;;) {
    const page = await store.listThreads({ limit, ...(cursor !== undefined && { cursor }) });
    scanned += page.threads.length;
    for (const info of page.threads) {
      const row = await listRow(store, info, f);
      if (row) rows.push(row);
    }
    cursor = page.nextCursor;
    if (cursor === undefined || rows.length >= limit || scanned >= SCAN_LIMIT) return { rows, ...(cursor !== undefined && { nextCursor: cursor }) };
  }
}
