/**
 * `importTranscripts(store, { source, paths, onProgress })`: finds the source's files under the
 * given paths (or its default folders), imports what is new in each through the importer
 * contract, and answers counts and the records it had to skip.
 */
import { existsSync } from 'node:fs';
import { ErrorCode, SkeinError, ValidationError } from '../errors.js';
import type { ThreadID } from '../model/types.js';
import type { Store } from '../store/store.js';
import { statOrThrow } from './json-lines.js';
import { ImportLease } from './lease.js';
import { IMPORTERS } from './registry.js';
import { resolvePending } from './repair.js';
import { ImportSink } from './sink.js';
import { StateDb } from './state-db.js';
import type { ImportContext, ImportOptions, ImportProgress, ImportResult, Importer, SkippedRecord, SourceUnit } from './types.js';

/** The importer of a source name (VALIDATION for an unknown one). */
export function importerOf(source: unknown): Importer {
  const imp = typeof source === 'string' ? IMPORTERS.get(source) : undefined;
  if (!imp) throw new ValidationError('source', `unknown source ${JSON.stringify(source)}: one of ${[...IMPORTERS.keys()].join(', ')}`);
  return imp;
}

/** The paths an import reads: the given ones (each must exist) or the source's default folders that exist. */
export async function resolvePaths(importer: Importer, paths: string[] | undefined, env: Record<string, string | undefined>): Promise<string[]> {
  if (paths && paths.length > 0) {
    for (const p of paths) await statOrThrow(p);
    return paths;
  }
  const defaults = importer.defaultPaths(env);
  if (defaults.length === 0) throw new ValidationError('PATH', `give the files or folders to import from ${importer.agent}`);
  const found = defaults.filter((p) => existsSync(p));
  if (found.length === 0) throw new SkeinError(ErrorCode.NOT_FOUND, `no ${importer.agent} sessions found (looked in ${defaults.join(', ')}); give a path`);
  return found;
}

/** Every unit under the paths, each once. */
export async function discoverUnits(importer: Importer, paths: string[]): Promise<SourceUnit[]> {
  const seen = new Set<string>();
  const units: SourceUnit[] = [];
  for (const p of paths) for (const u of await importer.discover(p)) if (!seen.has(u.path) && (seen.add(u.path), true)) units.push(u);
  return units;
}

type RunOptions = Pick<ImportOptions, 'onProgress' | 'live' | 'onWait'> & { signal?: AbortSignal };

/**
 * Imports the units through one sink under the source's import lease (lease.ts: a concurrent
 * import of the same source waits); answers the result (empty when `signal` stopped the wait).
 */
export async function runImport(store: Store, importer: Importer, units: SourceUnit[], options: RunOptions): Promise<ImportResult> {
  const db = StateDb.acquire(store);
  try {
    const lease = await ImportLease.take(db, importer.agent, options);
    if (!lease) return { threads: { created: 0, updated: 0, unchanged: 0 }, messages: 0, skipped: [] };
    try {
      return await importWith(store, db, importer, units, options, lease);
    } finally {
      lease.release();
    }
  } finally {
    StateDb.release(store);
  }
}

async function importWith(store: Store, db: StateDb, importer: Importer, units: SourceUnit[], options: RunOptions, lease: ImportLease): Promise<ImportResult> {
  const sink = new ImportSink(store, db, () => lease.check());
  await resolvePending(sink, `${importer.agent}:`);
  const skipped: SkippedRecord[] = [];
  const bytesTotal = units.reduce((n, u) => n + u.size, 0);
  const progress: ImportProgress = { filesDone: 0, filesTotal: units.length, bytesDone: 0, bytesTotal, threads: 0, messages: 0 };
  let unitBytes = 0;
  let lastReport = 0;
  const report = (force: boolean) => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < 200) return;
    lastReport = now;
    const sessions = sink.all();
    options.onProgress({ ...progress, bytesDone: progress.bytesDone + unitBytes, threads: sessions.length, messages: sessions.reduce((n, s) => n + s.messages, 0) });
  };
  const keys = new Set<string>();
  const ctx: ImportContext = {
    store,
    sink,
    live: options.live ?? false,
    skip: (file, line, reason) => skipped.push({ file, line, reason }),
    progress: (bytes) => {
      unitBytes = bytes;
      report(false);
    },
  };
  sink.report = ctx.skip;
  for (const unit of units) {
    unitBytes = 0;
    try {
      await importer.importUnit(unit, ctx);
    } catch (err) {
      // A file that cannot be read at all (vanished, unreadable, not this format) is reported; the rest imports.
      if (err instanceof SkeinError && err.code !== ErrorCode.NOT_FOUND && err.code !== ErrorCode.VALIDATION) throw err;
      if (!(err instanceof SkeinError) && !(err as NodeJS.ErrnoException).code) throw err;
      skipped.push({ file: unit.path, line: 0, reason: (err as Error).message });
    }
    for (const k of db.file(unit.path)?.keys ?? []) keys.add(k);
    progress.filesDone++;
    progress.bytesDone += unit.size;
    unitBytes = 0;
    report(true);
  }
  for (const fn of sink.atEnd.splice(0)) await fn();
  await sink.flushAll();
  const threads = { created: 0, updated: 0, unchanged: 0 };
  const counted = new Set<ThreadID>();
  for (const s of sink.all()) {
    counted.add(s.threadId);
    if (s.created) threads.created++;
    else if (s.v !== s.startV) threads.updated++;
    else threads.unchanged++;
  }
  for (const [id, status] of sink.external) {
    if (counted.has(id)) continue;
    counted.add(id);
    threads[status]++;
  }
  for (const k of keys) {
    const known = db.session(k);
    if (known && !counted.has(known.threadId)) {
      counted.add(known.threadId);
      threads.unchanged++;
    }
  }
  return { threads, messages: sink.all().reduce((n, s) => n + s.messages, sink.externalMessages), skipped };
}

/**
 * Imports an agent's transcripts into a store (see the module comment). Idempotent: importing
 * the same files again changes nothing; a grown file adds only its new records.
 */
export async function importTranscripts(store: Store, options: ImportOptions): Promise<ImportResult> {
  const importer = importerOf(options?.source);
  const paths = await resolvePaths(importer, options.paths, options.env ?? process.env);
  const units = await discoverUnits(importer, paths);
  return runImport(store, importer, units, options);
}
