/**
 * skein: a versioned, local-first thread store for AI coding agents. This is the public entry;
 * everything a user needs is exported here and nothing else is public, but for the storage
 * contract suite, which loads node:test and so has its own entry: `skein/testing`.
 */
export { SkeinError, ValidationError, VersionConflictError, ThreadBusyError, ErrorCode, httpStatusOf, fromUnknown } from './errors.js';
export type {
  ThreadID,
  Thread,
  ThreadHead,
  Message,
  MessageInput,
  Role,
  ToolCall,
  ToolResult,
  ResourceUsage,
  Environment,
  Delta,
  DeltaType,
  Op,
  CompressedDelta,
  CreateFields,
  ThreadClock,
  Stamp,
  HiddenRange,
} from './model/types.js';
export { newThreadId, isThreadId, uuidv7 } from './model/ids.js';
export { applyDelta, applyOp, foldOps, emptyThread, createOp, completeOp, step } from './model/apply.js';
export type { ApplyOptions, Effect, OpContext, ThreadCore } from './model/apply.js';
export { merge, hasConflict } from './model/merge.js';
export { compress, decompress } from './model/codec.js';
export { parseDelta, parseOp, parseThreadId } from './model/schema.js';
export { openStore } from './open-store.js';
export type { OpenStoreOptions } from './open-store.js';
export { Store } from './store/store.js';
export type {
  ThreadInfo,
  ThreadSummary,
  AppendResult,
  MessagePage,
  StoreEvents,
  AppendOptions,
} from './store/store.js';
export type { UsageReport, UsageTotals, RelatedThreads, ThreadTree, TreeLink, MapLink } from './store/relations.js';
export type { ThreadLink, LinkRel } from './model/links.js';
export { mentionedThreadIds } from './model/links.js';
export type { SyncHandle, SyncResult, SyncStatus } from './store/ports.js';
export type { SyncOptions } from './sync/engine.js';
export type { RemoteOptions } from './sync/http-client.js';
export { ThreadWriter } from './store/writer.js';
export type { ThreadListener } from './store/writer.js';
export { POLICY_PRESETS, kindOf } from './store/policy.js';
export type { PersistencePolicy, PolicyOption, ThreadKind } from './store/policy.js';
export type { StorageBackend, CommitBatch, Fence, ListedHead, LeaseState, UsageRow, SearchHit, SearchRequest } from './store/backend.js';
export type { SearchIndexProgress, SearchOptions, SearchResult, SearchResults } from './store/search/search.js';
export type { SearchQuery, SearchTerm } from './model/search.js';
export { parseSearchQuery } from './store/search/parse-query.js';
export { MemoryBackend } from './store/memory/memory-backend.js';
export { SqliteBackend, openSqliteBackend } from './store/sqlite/sqlite-backend.js';
export { PostgresBackend, openPostgresBackend } from './store/postgres/postgres-backend.js';
export { FileTracker } from './files/file-tracker.js';
export type { FileModification, RollbackResult } from './files/file-tracker.js';
export type { FileChangeRecord, FileChangeType } from './files/record-store.js';
export { DEFAULT_ARCHIVE_AGE_MS } from './lifecycle/archive.js';
export type { ArchiveOptions, ArchiveProgress, ArchiveResult } from './lifecycle/archive.js';
export type { DiskUsage, ThreadUsage, KindUsage } from './lifecycle/disk-usage.js';
export { importTranscripts } from './import/run.js';
export { watchTranscripts } from './import/watch.js';
export type { WatchOptions } from './import/watch.js';
export type { ImportSource, ImportOptions, ImportResult, ImportProgress, SkippedRecord } from './import/types.js';
export { PRICES_AS_OF, estimateCost } from './import/prices.js';
export { exportThreads } from './export/export.js';
export type { ExportFormat, ExportOptions } from './export/export.js';
