/**
 * Crash-safe file replacement, the one helper every writer of whole files uses (file rollback,
 * archive entries): write a temp file in the same directory, fsync it, rename it over the target,
 * fsync the directory. A process killed at any point leaves the target either as it was or as it
 * is meant to be, never half-written.
 *
 * The temp file is created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`) under a random name, so a
 * file or symlink planted where a temp file will go (a cloned repository can carry one) is never
 * opened, followed or overwritten. A killed run leaves its temp file behind under a name that
 * {@link isTempOf} recognizes, so the next write of the same file can clear it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_TAG = '.skein-';
const TEMP_RE = /\.skein-[0-9a-f]{16}\.tmp$/;

/** Flags of an exclusive, never-following creation. */
const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY;

/** A fresh temp path for a write of `path`: `.<name>.skein-<16 random hex>.tmp` beside it. */
export function newTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_TAG}${randomBytes(8).toString('hex')}.tmp`);
}

/** Whether `name` (a directory entry) is a temp file a write of the file `target` made. */
export function isTempOf(name: string, target: string): boolean {
  return name.startsWith(`.${basename(target)}${TEMP_TAG}`) && TEMP_RE.test(name) && name.length === basename(target).length + 1 + TEMP_TAG.length + 20;
}

/** Removes temp files that killed writes of `target` left beside it (never anything else). */
export async function clearStaleTemps(target: string): Promise<void> {
  const dir = dirname(target);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (isTempOf(name, target)) await unlink(join(dir, name)).catch(() => undefined);
}

/** fsyncs a directory, so that a rename or unlink in it survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates a new file exclusively under a random temp name beside `path` (retrying a name taken). */
async function createTemp(path: string, mode: number | undefined): Promise<{ tmp: string; fh: FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    const tmp = newTempPath(path);
    try {
      return { tmp, fh: await open(tmp, CREATE_FLAGS, mode ?? 0o666) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) throw err;
    }
  }
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** fsync the directory after the rename (default true); a caller writing many entries may sync once itself. */
  syncDir?: boolean;
  /**
   * Called with the temp file (written and fsynced, still open) just before the rename: a caller
   * that confines writes to a directory tree checks here that the temp file landed where it
   * should, and throws to abandon the write (the temp file is then removed).
   */
  verify?: (tmp: string, fh: FileHandle) => Promise<void>;
}

/**
 * Replaces (or creates) `path` with exactly `bytes`, atomically and durably. An existing file
 * keeps its permission bits; missing parent directories are made.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const mode = await stat(path).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  const { tmp, fh } = await createTemp(path, mode);
  try {
    try {
      await fh.writeFile(bytes);
      if (mode !== undefined) await fh.chmod(mode);
      await fh.sync();
      await options.verify?.(tmp, fh);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (options.syncDir !== false) await fsyncDir(dir);
}

/** Removes `path` durably; a file already gone is fine. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fsyncDir(dirname(path));
}
