/**
 * File change tracking (seed: `ThreadFileTracker`), exposed as `store.files`. A tool calls
 * `recordFileChange` just before it writes: the tracker reads the file's current bytes as
 * `before`, keeps `newContent` as `after` (both stored once by hash, compressed) and does not
 * touch the file. `rollbackOperation` and `rewind` put files back, newest change first, but only
 * where the file still holds what the agent wrote: a file the person changed since is a reported
 * conflict and is left alone unless `force`. Each file is replaced atomically; every per-file
 * failure is reported by path.
 */
import { resolve } from 'node:path';
import { ValidationError, archivedError, fromUnknown, notFound } from '../errors.js';
import { parseThreadId } from '../model/schema.js';
import type { Op, ThreadHead, ThreadID } from '../model/types.js';
import { clearStaleTemps } from './atomic-file.js';
import { BlobStore, sha256 } from './blob-store.js';
import { readConfined, removeConfined, writeConfined } from './confined-io.js';
import { resolveInWorkspace } from './paths.js';
import type { FileChangeRecord, FileChangeType, FileRecordStore } from './record-store.js';
import { planRevert } from './revert-plan.js';

/** What a tool is about to do to a file. */
export interface FileModification {
  /** Relative to the workspace root (or absolute inside it). */
  path: string;
  type: FileChangeType;
  /** The bytes the tool will write (a string is UTF-8); absent for `delete`. */
  newContent?: string | Uint8Array;
}

/** What a rollback or rewind did, by path. */
export interface RollbackResult {
  /** Files put back to their state before the change(s), newest change first. */
  reverted: string[];
  /** Files changed by someone else since the agent wrote them: left untouched. */
  conflicts: string[];
  /** Files that could not be reverted, with the reason. */
  failed: { path: string; error: string; code: string }[];
  /** Files whose changes an earlier rollback or rewind already reverted: not looked at again. */
  alreadyReverted: string[];
}

/** What the tracker needs from its store. */
export interface FileTrackerHost {
  /** The thread's head and whether it sits in cold storage; undefined when there is no such thread. */
  thread(id: ThreadID): Promise<{ head: ThreadHead; evicted: boolean } | undefined>;
  /** The thread's whole op log. */
  history(id: ThreadID): Promise<Op[]>;
  /** The store's `workspace` option. */
  workspace: string | undefined;
  records: FileRecordStore;
  now(): number;
}

const TYPES: readonly FileChangeType[] = ['create', 'modify', 'delete'];

function parseOperationId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new ValidationError('operationId', 'must be a string of 1 to 200 characters');
  return value;
}

function parseModification(value: unknown): { path: string; type: FileChangeType; bytes?: Uint8Array } {
  if (typeof value !== 'object' || value === null) throw new ValidationError('change', 'must be { path, type, newContent }');
  const c = value as Record<string, unknown>;
  for (const k of Object.keys(c)) if (k !== 'path' && k !== 'type' && k !== 'newContent') throw new ValidationError(`change.${k}`, 'is not a known field');
  if (typeof c.path !== 'string' || c.path === '') throw new ValidationError('change.path', 'must be a non-empty string');
  if (!TYPES.includes(c.type as FileChangeType)) throw new ValidationError('change.type', `must be one of ${TYPES.join(', ')}`);
  const type = c.type as FileChangeType;
  const content = c.newContent;
  if (type === 'delete') {
    if (content !== undefined) throw new ValidationError('change.newContent', 'must be absent for a delete');
    return { path: c.path, type };
  }
  if (typeof content === 'string') return { path: c.path, type, bytes: Buffer.from(content, 'utf8') };
  if (content instanceof Uint8Array) return { path: c.path, type, bytes: content };
  throw new ValidationError('change.newContent', 'must be a string or a Uint8Array');
}

/** See the module comment. */
export class FileTracker {
  private readonly blobs: BlobStore;
  private readonly queues = new Map<ThreadID, Promise<unknown>>();

  constructor(private readonly host: FileTrackerHost) {
    this.blobs = new BlobStore(host.records);
  }

  /** One thing at a time per thread, so that a rollback never races a record or another rollback. */
  private serialize<T>(id: ThreadID, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  private async activeThread(id: ThreadID): Promise<ThreadHead> {
    const found = await this.host.thread(id);
    if (!found) throw notFound(`thread ${id}`);
    if (found.evicted)
      throw archivedError(id);
    return found.head;
  }

  /** The workspace root of a thread: its env.cwd, else the store's workspace, else the current directory. */
  rootOf(head: Pick<ThreadHead, 'env'>): string {
    const cwd = head.env?.cwd;
    if (typeof cwd === 'string' && cwd !== '') return resolve(cwd);
    return this.host.workspace ?? process.cwd();
  }

  /**
   * Records a change a tool is about to make: reads the file's current bytes as `before`, keeps
   * `newContent` as `after`, and leaves the file alone. Refused (nothing stored) when the path
   * leaves the workspace root or names a directory.
   */
  async recordFileChange(threadId: ThreadID, operationId: string, change: FileModification): Promise<FileChangeRecord> {
    parseThreadId(threadId);
    const opId = parseOperationId(operationId);
    const mod = parseModification(change);
    return this.serialize(threadId, async () => {
      const head = await this.activeThread(threadId);
      const wp = await resolveInWorkspace(this.rootOf(head), mod.path);
      let current: Buffer | null;
      try {
        current = await readConfined(wp);
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError('change.path', err.message.replace(/^path: /, ''));
        throw fromUnknown(err);
      }
      const before = current === null ? undefined : await this.blobs.prepare(current);
      const after = mod.bytes === undefined ? undefined : await this.blobs.prepare(mod.bytes);
      const blobs = [before?.blob, after?.blob].filter((b) => b !== undefined);
      const record = {
        threadId,
        operationId: opId,
        path: wp.rel,
        root: wp.root,
        type: mod.type,
        ...(before !== undefined && { before: before.hash }),
        ...(after !== undefined && { after: after.hash }),
        timestamp: this.host.now(),
        threadV: head.v,
      };
      // The same new content as before and after is one blob.
      return this.host.records.addRecord(record, blobs[1]?.hash === blobs[0]?.hash ? blobs.slice(0, 1) : blobs);
    });
  }

  /** The bytes a record names as its `before` or `after` (by sha256), for showing a change. */
  async content(hash: string): Promise<Buffer> {
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new ValidationError('hash', 'must be a sha256 in hex');
    return this.blobs.get(hash);
  }

  /** A thread's recorded changes, oldest first (optionally of one operation). */
  async list(threadId: ThreadID, options: { operationId?: string } = {}): Promise<FileChangeRecord[]> {
    parseThreadId(threadId);
    const operationId = options.operationId === undefined ? undefined : parseOperationId(options.operationId);
    await this.activeThread(threadId);
    return this.host.records.records(threadId, operationId === undefined ? {} : { operationId });
  }

  /**
   * Reverts the changes of one operation, newest first. NOT_FOUND when the operation recorded
   * no change in this thread. Run again after a crash, it finishes what is left.
   */
  async rollbackOperation(threadId: ThreadID, operationId: string, options: { force?: boolean } = {}): Promise<RollbackResult> {
    parseThreadId(threadId);
    const opId = parseOperationId(operationId);
    return this.serialize(threadId, async () => {
      await this.activeThread(threadId);
      const records = await this.host.records.records(threadId, { operationId: opId });
      if (records.length === 0) throw notFound(`file changes of operation ${opId} in thread ${threadId}`);
      return this.revert(records, options.force === true);
    });
  }

  /**
   * Reverts every change recorded after a message was added to the thread (the changes made in
   * answer to it and later), newest first: the files go back to how they were when the message
   * was written. The conversation itself is not changed (append a `thread:truncate` for that).
   */
  async rewind(threadId: ThreadID, options: { toMessageId: string; force?: boolean }): Promise<RollbackResult & { operations: string[] }> {
    parseThreadId(threadId);
    const messageId = options?.toMessageId;
    if (typeof messageId !== 'string' || messageId === '') throw new ValidationError('toMessageId', 'must be a message id');
    return this.serialize(threadId, async () => {
      await this.activeThread(threadId);
      const ops = await this.host.history(threadId);
      const added = ops.find((op) => 'message' in op && op.message.id === messageId);
      if (!added) throw notFound(`message ${messageId} in thread ${threadId}`);
      const records = (await this.host.records.records(threadId)).filter((r) => r.threadV >= added.v);
      const operations = [...new Set(records.map((r) => r.operationId).reverse())];
      return { ...(await this.revert(records, options.force === true)), operations };
    });
  }

  private async revert(records: FileChangeRecord[], force: boolean): Promise<RollbackResult> {
    const result: RollbackResult = { reverted: [], conflicts: [], failed: [], alreadyReverted: [] };
    const groups = new Map<string, FileChangeRecord[]>();
    for (const r of [...records].sort((a, b) => b.seq - a.seq)) {
      const key = `${r.root}\0${r.path}`;
      const g = groups.get(key) ?? [];
      g.push(r);
      groups.set(key, g);
    }
    for (const all of groups.values()) {
      const path = all[0]!.path;
      const group = all.filter((r) => r.reverted === undefined);
      if (group.length === 0) {
        result.alreadyReverted.push(path);
        continue;
      }
      try {
        const wp = await resolveInWorkspace(group[0]!.root, path);
        const bytes = await readConfined(wp);
        const plan = planRevert(group, bytes === null ? null : sha256(bytes), force);
        if (plan.kind === 'conflict') {
          // A temp file of ours a killed run left beside it is ours to remove; the file is not.
          await clearStaleTemps(wp.real);
          result.conflicts.push(path);
          continue;
        }
        if (plan.kind === 'write') {
          if (plan.to === null) await removeConfined(wp);
          else await writeConfined(wp, await this.blobs.get(plan.to));
        }
        await this.host.records.markReverted(
          group.map((r) => r.seq),
          this.host.now(),
        );
        result.reverted.push(path);
      } catch (err) {
        const e = fromUnknown(err);
        result.failed.push({ path, error: e.message, code: e.code });
      }
    }
    return result;
  }
}
