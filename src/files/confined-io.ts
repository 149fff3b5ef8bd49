/**
 * Reads, writes and removes of a file already resolved inside a workspace ({@link WorkspacePath}),
 * checked again at the moment of the I/O. A path is checked when it is resolved, but a directory
 * on it can be swapped for a symlink before the file is opened; so each operation opens without
 * following a final symlink, then proves that what it opened (or the temp file it created) is the
 * file the path resolves to now, inside the root, by device and inode. Anything else is
 * FORBIDDEN and nothing read from it is used.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';
import { clearStaleTemps, removeFile, writeFileAtomic } from './atomic-file.js';
import { resolveInWorkspace, type WorkspacePath } from './paths.js';

/** The largest file read whole into memory (Node reads at most 2 GiB in one call). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

function moved(wp: WorkspacePath): SkeinError {
  return new SkeinError(ErrorCode.FORBIDDEN, `${wp.rel} changed while it was being used (a directory or file was swapped for a link); nothing was done with it`, {
    details: { path: wp.rel, root: wp.root },
  });
}

/** Resolves `wp` again and throws FORBIDDEN unless it still lands on `wp.real`. */
async function recheck(wp: WorkspacePath): Promise<void> {
  const again = await resolveInWorkspace(wp.root, wp.rel);
  if (again.real !== wp.real) throw moved(wp);
}

/** Throws FORBIDDEN unless the file at `path` (not following a link) is the open file `fh`. */
async function sameFile(wp: WorkspacePath, path: string, fh: FileHandle): Promise<void> {
  const [opened, there] = await Promise.all([fh.stat(), lstat(path).catch(() => undefined)]);
  if (!there || there.dev !== opened.dev || there.ino !== opened.ino) throw moved(wp);
}

/**
 * The bytes of a workspace file, or null when there is none; read through one handle that is
 * proven to be the checked file. VALIDATION for a directory, FORBIDDEN for a swapped path.
 */
export async function readConfined(wp: WorkspacePath): Promise<Buffer | null> {
  let fh: FileHandle;
  try {
    fh = await open(wp.real, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await recheck(wp);
      return null;
    }
    // O_NOFOLLOW on a final component that became a symlink.
    if (code === 'ELOOP' || code === 'EMLINK') throw moved(wp);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ValidationError('path', `${wp.rel} is a directory`);
    if (!st.isFile()) throw new ValidationError('path', `${wp.rel} is not a regular file`);
    if (st.size > MAX_FILE_BYTES)
      throw new ValidationError('path', `${wp.rel} is ${st.size} bytes; file changes of files over 2 GiB (${MAX_FILE_BYTES} bytes) are not tracked`);
    await recheck(wp);
    await sameFile(wp, wp.real, fh);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces a workspace file with `bytes` (atomically, see `writeFileAtomic`), proving before the
 * rename that the temp file was created in the checked directory. Temp files of earlier killed
 * writes of the same file are cleared first.
 */
export async function writeConfined(wp: WorkspacePath, bytes: Uint8Array): Promise<void> {
  await clearStaleTemps(wp.real);
  await writeFileAtomic(wp.real, bytes, {
    verify: async (tmp, fh) => {
      await recheck(wp);
      await sameFile(wp, join(dirname(wp.real), basename(tmp)), fh);
    },
  });
}

/** Removes a workspace file (gone already is fine), after checking its path once more. */
export async function removeConfined(wp: WorkspacePath): Promise<void> {
  await clearStaleTemps(wp.real);
  await recheck(wp);
  await removeFile(wp.real);
}
