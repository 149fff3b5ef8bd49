/**
 * Cold storage for archived threads: one entry (bytes) per thread id. A store on disk keeps each
 * entry as `<store dir>/archive/<thread id>.skz`, written through a temp file that is fsynced and
 * renamed; a `':memory:'` store keeps entries in a Map. Like the thread backends, it only stores.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
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
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file(id));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  async flush(): Promise<void> {
    const fh = await open(this.dir, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async get(id: ThreadID): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.file(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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
