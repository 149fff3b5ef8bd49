/**
 * Cold storage for archived threads: one entry (bytes) per thread id. A store on disk keeps each
 * entry as `<store dir>/archive/<thread id>.skz`, written through a temp file that is fsynced and
 * renamed; a `':memory:'` store keeps entries in a Map. Like the thread backends, it only stores.
 */
import { readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SkeinError, ErrorCode } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../files/atomic-file.js';
import type { ThreadID } from '../model/types.js';

/** The contract of an archive store. */
export interface ArchiveStore {
  /** Stores an entry, replacing one there; durable once `flush` has resolved after it. */
  put(id: ThreadID, bytes: Uint8Array): Promise<void>;
  /** Makes every `put` so far durable (one directory sync for a batch of entries). */
  flush(): Promise<void>;
  get(id: ThreadID): Promise<Uint8Array | undefined>;
  delete(id: ThreadID): Promise<void>;
  /** Sizes of every entry held, by thread id. */
  sizes(): Promise<Map<ThreadID, number>>;
  /** Where an entry lives, for messages. */
  where(id: ThreadID): string;
}

/** Entries as files in a directory. */
export class FileArchiveStore implements ArchiveStore {
  constructor(readonly dir: string) {}

  private file(id: ThreadID): string {
    return join(this.dir, `${id}.skz`);
  }

  where(id: ThreadID): string {
    return this.file(id);
  }

  async put(id: ThreadID, bytes: Uint8Array): Promise<void> {
    // The directory is synced once per batch, by flush.
    await writeFileAtomic(this.file(id), bytes, { syncDir: false });
  }

  async flush(): Promise<void> {
    await fsyncDir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async get(id: ThreadID): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.file(id));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EISDIR')
        throw new SkeinError(ErrorCode.INTERNAL, `the archive entry of thread ${id} is corrupted (${this.file(id)} is a directory, not an archive file); it was not restored: move it away and restore from a backup`, {
          cause: err,
          details: { threadId: id, path: this.file(id) },
        });
      throw err;
    }
  }

  async delete(id: ThreadID): Promise<void> {
    // Not synced: an entry that comes back after a crash is a leftover restoreThread clears up.
    await unlink(this.file(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async sizes(): Promise<Map<ThreadID, number>> {
    const out = new Map<ThreadID, number>();
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.skz') || name.startsWith('.')) continue;
      const s = await stat(join(this.dir, name)).catch(() => undefined);
      if (s?.isFile()) out.set(name.slice(0, -4) as ThreadID, s.size);
    }
    return out;
  }
}

/** Entries in a Map, for `':memory:'` stores. */
export class MemoryArchiveStore implements ArchiveStore {
  private readonly entries = new Map<ThreadID, Uint8Array>();

  where(id: ThreadID): string {
    return `memory:${id}`;
  }

  async put(id: ThreadID, bytes: Uint8Array): Promise<void> {
    this.entries.set(id, new Uint8Array(bytes));
  }

  async flush(): Promise<void> {}

  async get(id: ThreadID): Promise<Uint8Array | undefined> {
    const b = this.entries.get(id);
    return b && new Uint8Array(b);
  }

  async delete(id: ThreadID): Promise<void> {
    this.entries.delete(id);
  }

  async sizes(): Promise<Map<ThreadID, number>> {
    return new Map([...this.entries].map(([id, b]) => [id, b.byteLength]));
  }
}
