/**
 * Confines file paths to a workspace root before anything is read or written: `..` that leaves
 * the root, absolute paths elsewhere, and symlinks (anywhere on the path, dangling ones included)
 * that lead out are refused with FORBIDDEN; a malformed path is a VALIDATION error.
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SkeinError, ErrorCode, ValidationError } from '../errors.js';

/** A path inside a workspace. */
export interface WorkspacePath {
  /** The real (symlink-free) absolute path of the root. */
  root: string;
  /** The path relative to the root as the caller named it, `/`-separated. */
  rel: string;
  /** Where reads and writes go: the real absolute path, every existing symlink resolved. */
  real: string;
}

const MAX_LINKS = 40;

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && r !== '..' && !r.startsWith('..' + sep) && !isAbsolute(r);
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The real path `p` leads to, resolving symlinks on every existing component (a dangling link is
 * followed to where it points) and keeping the missing tail as it is.
 */
async function realpathLoose(p: string, links = 0): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
  const parent = dirname(p);
  if (parent === p) return p;
  const realParent = await realpathLoose(parent, links);
  const q = join(realParent, basename(p));
  const st = await lstat(q).catch(() => undefined);
  if (!st?.isSymbolicLink()) return q;
  if (links >= MAX_LINKS) throw new ValidationError('path', 'too many levels of symbolic links');
  return realpathLoose(resolve(realParent, await readlink(q)), links + 1);
}

/** The real path of a workspace root; VALIDATION unless it is an existing directory. */
export async function realRoot(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new ValidationError('workspace', `${root} is not a directory`);
    return real;
  } catch (err) {
    if (err instanceof SkeinError) throw err;
    throw new ValidationError('workspace', `workspace root ${root} is not usable (${errno(err) ?? (err as Error).message})`);
  }
}

/** Resolves `path` inside `root` (see the module comment). Reads nothing but directory entries and links. */
export async function resolveInWorkspace(root: string, path: unknown): Promise<WorkspacePath> {
  if (typeof path !== 'string' || path === '') throw new ValidationError('path', 'must be a non-empty string');
  if (path.includes('\0')) throw new ValidationError('path', 'must not contain NUL characters');
  if (path.length > 4096) throw new ValidationError('path', 'is longer than 4096 characters');
  const given = resolve(root);
  const real = await realRoot(root);
  const lexical = resolve(given, path);
  // An absolute path may name the root through its real path or through the path it was given as.
  const base = inside(given, lexical) ? given : inside(real, lexical) ? real : undefined;
  if (base === undefined) {
    if (lexical === given || lexical === real) throw new ValidationError('path', 'names the workspace root, not a file');
    throw new SkeinError(ErrorCode.FORBIDDEN, `${path} is outside the workspace root ${real}`, { details: { path, root: real } });
  }
  let target: string;
  try {
    target = await realpathLoose(lexical);
  } catch (err) {
    if (err instanceof SkeinError) throw err;
    throw new ValidationError('path', `${path} cannot be resolved (${errno(err) ?? (err as Error).message})`);
  }
  if (target === real) throw new ValidationError('path', `${path} names the workspace root, not a file`);
  if (!inside(real, target))
    throw new SkeinError(ErrorCode.FORBIDDEN, `${path} leads outside the workspace root ${real} through a symlink`, { details: { path, root: real } });
  return { root: real, rel: relative(base, lexical).split(sep).join('/'), real: target };
}
