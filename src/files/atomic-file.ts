/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A process killed at any point leaves the target either as it
 * was or as it is meant to be, never half-written. The temp name is fixed per target, so a run
 * that was killed while writing leaves no litter once the same file is written again.
 */
import { createHash } from 'node:crypto';
import { open, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temp file a write of `path` goes through. */
export function tempPathFor(path: string): string {
  const tag = createHash('sha256').update(basename(path)).digest('hex').slice(0, 16);
  return join(dirname(path), `.skein-${tag}.tmp`);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The bytes of a file, or null when there is no file. Other failures (a directory, EACCES) throw. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    const fh = await open(path, 'r');
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Replaces (or creates) `path` with exactly `bytes`, atomically and durably. An existing file
 * keeps its permission bits; missing parent directories are made.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const mode = await stat(path).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(bytes);
      if (mode !== undefined) await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
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
