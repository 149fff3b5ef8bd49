/** A small tmpfs for disk-full tests (root on Linux only; otherwise the reason to skip). */
import { execFileSync } from 'node:child_process';

/** Mounts a tmpfs of `size` at `dir`; answers why not when that is not allowed here. */
export function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}
