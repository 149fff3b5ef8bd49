/**
 * The small interfaces the store owns and the layers above it implement (CONVENTIONS 11): the
 * server tier that reads fall through to, the sync handle behind `store.sync`, the replica that
 * the sync engine works on, and cold storage with file tracking. The composition root
 * (`src/open-store.ts`) plugs the implementations in; the store never imports them.
 */
import type { FileTracker } from '../files/file-tracker.js';
import type { ArchiveOptions, ArchiveResult } from '../lifecycle/archive.js';
import type { DiskUsage } from '../lifecycle/disk-usage.js';
import type { ThreadID } from '../model/ids.js';
import type { Op, ThreadHead } from '../model/types.js';
import type { PersistencePolicy, ThreadKind } from './policy.js';

/** Read-through to the server tier: a thread this replica lacks is fetched whole. */
export interface RemoteTier {
  /**
   * The thread's whole log (from v1) on the server; undefined when the server lacks it or cannot
   * be reached (a miss). A refused token throws (UNAUTHORIZED, FORBIDDEN): it is not a miss.
   */
  fetchThread(id: ThreadID): Promise<Op[] | undefined>;
  /** The fetched thread is stored locally at version `v` (both sides agree up to it). */
  stored(id: ThreadID, v: number): void;
}

/** What one sync round did. */
export interface SyncResult {
  pushed: number;
  pulled: number;
  conflicts: number;
  failed: number;
}

/** Where sync stands (`store.sync.status()`). */
export interface SyncStatus {
  running: boolean;
  live: boolean;
  cursor: number;
  /** Threads with local ops the server has not acknowledged. */
  pending: number;
  poisoned: { id: ThreadID; code: string; message: string }[];
  lastRoundAt?: number;
  lastError?: string;
}

/** The sync engine as a store's user sees it: `store.sync`. */
export interface SyncHandle {
  /** Runs a round now: every pending thread is tried, even one waiting out a backoff. */
  now(): Promise<SyncResult>;
  /** Syncs on an interval and, with `live`, on every server poke. */
  start(options?: { live?: boolean }): void;
  /** Stops the interval and the live stream. */
  stop(): Promise<void>;
  status(): SyncStatus;
  /** Clears the poison mark of threads so that they are pushed again. */
  retryPoisoned(): void;
  /** Bytes moved on the wire, both ways. */
  readonly bytes: { sent: number; received: number };
  /** Stops and releases what sync holds (the store's `close` calls it). */
  close(): Promise<void>;
}

/**
 * What the sync engine needs of the local replica: its log and the changes only sync makes.
 * Not part of the public `Store`.
 */
export interface SyncReplica {
  readonly clientId: string;
  readonly policies: Record<ThreadKind, PersistencePolicy>;
  /** Calls `listener` with the id of every thread created or changed here; returns the unsubscribe. */
  onChange(listener: (id: ThreadID) => void): () => void;
  /** Every thread id in the local tier. */
  threadIds(): AsyncIterable<ThreadID>;
  /** A thread's head in the local tier only (never fetched from the server). */
  localHead(id: ThreadID): Promise<ThreadHead | undefined>;
  /** Local ops with fromVersion < v <= toVersion. */
  ops(id: ThreadID, fromVersion: number, toVersion: number): Promise<Op[]>;
  /** The same ops' JSON texts (each as JSON.stringify gives it), for a push that sends them as they are. */
  opTexts(id: ThreadID, fromVersion: number, toVersion: number): Promise<{ v: number; text: string }[]>;
  /** Appends the server's complete ops to a thread with no local changes after them (VERSION_CONFLICT when it moved). */
  applyRemoteOps(id: ThreadID, ops: Op[]): Promise<void>;
  /** Replaces the log after `keepVersion` with `ops` if the thread is still at `expectVersion`. */
  rebaseLog(id: ThreadID, expectVersion: number, keepVersion: number, ops: Op[]): Promise<void>;
  /** Stores a thread that arrived whole (its log from v1). */
  importThread(ops: Op[]): Promise<void>;
  /** Stores threads that arrived whole in one atomic commit; VERSION_CONFLICT (nothing written) when one is stored already. */
  importThreads(threads: Op[][]): Promise<void>;
}

/** Cold storage and file tracking, as the store delegates to them (lifecycle/ implements it). */
export interface ColdStorage {
  readonly files: FileTracker;
  /** True when the thread's ops are in cold storage. */
  isEvicted(head: ThreadHead): Promise<boolean>;
  /** The verified archive entry of an evicted thread. */
  archived(id: ThreadID): Promise<{ ops: Op[] }>;
  archive(options?: ArchiveOptions): Promise<ArchiveResult>;
  restore(id: ThreadID): Promise<void>;
  diskUsage(): Promise<DiskUsage>;
}
