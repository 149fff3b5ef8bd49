/**
 * `skein ui` and `skein serve` as real child processes (the built command line), for the viewer's
 * tests: each prints the URL to open on its first line, which is read here. A given port lets a
 * test restart a process where an open page expects it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

/** A running `skein` process that printed a URL on its first line. */
export interface UrlProcess {
  /** The first line it printed. */
  url: string;
  port: number;
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Runs `skein ...args` and waits for its first line of output. */
export function startUrlProcess(args: string[]): Promise<UrlProcess> {
  const { SKEIN_HOME: _home, ...env } = process.env;
  const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`skein ${args[0]} printed no URL within 30 s; stderr:\n${err}`));
    }, 30_000);
    const onData = (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.stdout!.resume();
      const url = out.slice(0, nl).trim();
      const stop = async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const done = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(kill);
      };
      resolve({ url, port: Number(new URL(url).port), proc, stderr: () => err, stop });
    };
    proc.stdout!.setEncoding('utf8').on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`skein ${args[0]} exited (${code ?? signal}) before printing its URL; stderr:\n${err}`));
    });
  });
}

/**
 * Like {@link startUrlProcess}, for a fixed port just freed by a process that was stopped: the
 * port may take a moment to be free again, so EADDRINUSE is retried for a while.
 */
export async function restartUrlProcess(args: string[]): Promise<UrlProcess> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startUrlProcess(args);
    } catch (err) {
      if (attempt >= 30 || !/EADDRINUSE/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts `skein ui --dir DIR --port PORT` (port 0: a free one; another: the one a page expects). */
export function startUiProcess(dir: string, port = 0): Promise<UrlProcess> {
  const args = ['ui', '--dir', dir, '--port', String(port)];
  return port === 0 ? startUrlProcess(args) : restartUrlProcess(args);
}
