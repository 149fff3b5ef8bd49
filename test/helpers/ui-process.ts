/**
 * `skein ui` as a real child process (the built command line) on a store directory: started on
 * a free port (or a given one, to restart it where a page expects it), its URL read from the
 * first line it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

/** A running `skein ui`. */
export interface UiProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `skein ui --dir DIR --port PORT` and waits for its first line (the URL). */
export function startUiProcess(dir: string, port = 0): Promise<UiProcess> {
  const { SKEIN_HOME: _home, ...env } = process.env;
  const proc = spawn(process.execPath, [CLI, 'ui', '--dir', dir, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`skein ui printed no URL within 20 s; stderr:\n${err}`));
    }, 20_000);
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
      resolve({ url, port: Number(new URL(url).port), proc, stop });
    };
    proc.stdout!.setEncoding('utf8').on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`skein ui exited (${code ?? signal}) before printing its URL; stderr:\n${err}`));
    });
  });
}
