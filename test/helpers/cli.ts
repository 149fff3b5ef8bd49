/**
 * Runs the built `skein` executable (dist/cli/main.js) as a child process, the way a user or a
 * script does, and collects its exit code and output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built command line; `npm run build` makes it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What one run of the command line did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `skein ...args`. stdin gets `input` when given and is closed either way (a pipe, never a
 * terminal). `env` is added to a copy of this process's environment without SKEIN_HOME.
 */
export function skein(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const { SKEIN_HOME: _home, SKEIN_DEBUG: _debug, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `skein ...args --json`, fails unless it exits 0, and answers the parsed JSON document. */
export async function skeinJson<T = Record<string, unknown>>(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<T> {
  const run = await skein([...args, '--json'], options);
  if (run.code !== 0) throw new Error(`skein ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
