/**
 * The importer contract and the public shapes of an import: what `importTranscripts` takes and
 * answers, and what each source folder (claude-code/, codex/, ...) implements.
 */
import type { Store } from '../store/store.js';
import type { ImportSink } from './sink.js';

/** The agents skein imports from (and `skein`, its own JSONL export). */
export type ImportSource = 'claude-code' | 'codex' | 'opencode' | 'cline' | 'amp' | 'skein';

/** A source line or file that was not imported, and why. */
export interface SkippedRecord {
  file: string;
  /** 1-based line number (0 when the whole file was skipped). */
  line: number;
  reason: string;
}

/** Progress of a running import, reported after every file and during long ones. */
export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  threads: number;
  messages: number;
}

/** Options of {@link importTranscripts}. */
export interface ImportOptions {
  source: ImportSource;
  /** Files or folders; default: the agent's own folders. */
  paths?: string[];
  onProgress?: (p: ImportProgress) => void;
  /** Environment the default paths are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Follow mode: a last line without its newline waits for it instead of being tried. */
  live?: boolean;
  /** Called when another import of the same source into this store is running and this one waits for it. */
  onWait?: (holder: { pid: number; host: string }) => void;
}

/** What an import did. */
export interface ImportResult {
  threads: { created: number; updated: number; unchanged: number };
  messages: number;
  skipped: SkippedRecord[];
}

/** One thing a source reads: a file, or a database (whole). */
export interface SourceUnit {
  path: string;
  size: number;
  mtimeMs: number;
}

/** One source agent behind the one contract. */
export interface Importer {
  agent: ImportSource;
  /** Where the agent keeps its sessions when no path is given (existing or not). */
  defaultPaths(env: Record<string, string | undefined>): string[];
  /** Files (or databases) under a path that exists, in the order to import them. */
  discover(path: string): Promise<SourceUnit[]>;
  /** Reads one unit and maps its new records through the sink. */
  importUnit(unit: SourceUnit, ctx: ImportContext): Promise<void>;
}

/** What an importer works with. */
export interface ImportContext {
  store: Store;
  sink: ImportSink;
  /** Follow mode (see {@link ImportOptions.live}). */
  live: boolean;
  skip(file: string, line: number, reason: string): void;
  /** Bytes of the current unit read so far (for progress). */
  progress(bytes: number): void;
}
