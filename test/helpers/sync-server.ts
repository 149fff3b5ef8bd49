/**
 * The sync server as a real child process: `node dist/cli/main.js serve ... --port 0 --json`,
 * on embedded SQLite (`{ data }`) or PostgreSQL (`{ db, schema }`). Tokens come from the real
 * `skein token create` command. `kill()` sends a signal (SIGKILL by default) and `restart()`
 * starts a new process on the same storage and the same port, so that clients keep their URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { CLI, skeinJson } from './cli.js';

/** Where a server keeps its data: a SQLite data directory, or a Postgres database and schema. */
export type ServerStorageChoice = { data: string } | { db: string; schema: string };

/** A running `skein serve`. */
export interface ServerProcess {
  /** Its base URL (the same across restarts). */
  readonly url: string;
  readonly port: number;
  /** The storage description it printed (`sqlite:...`, `postgres:...`). */
  readonly storage: string;
  readonly proc: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** A new token for `workspace`, made with `skein token create`. */
  token(workspace: string): Promise<string>;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same storage and port (after `kill`). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL if it lingers). */
  stop(): Promise<void>;
}

function storageArgs(choice: ServerStorageChoice): string[] {
  return 'data' in choice ? ['--data', choice.data] : ['--db', choice.db, '--schema', choice.schema];
}

function spawnServe(choice: ServerStorageChoice, port: number, extra: string[]): Promise<{ proc: ChildProcess; url: string; storage: string; stderr: () => string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const { SKEIN_HOME: _home, ...env } = process.env;
  const proc = spawn(process.execPath, [CLI, 'serve', ...storageArgs(choice), '--port', String(port), ...extra, '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`skein serve did not print its URL within 20 s; stderr:\n${err}`));
    }, 20_000);
    // The JSON document may come pretty-printed over several lines: wait until it parses.
    const onData = (d: string) => {
      out += d;
      let info: { url: string; storage: string };
      try {
        info = JSON.parse(out) as { url: string; storage: string };
      } catch {
        if (out.length < 10_000) return;
        proc.kill('SIGKILL');
        return reject(new Error(`skein serve printed ${JSON.stringify(out.slice(0, 500))}; stderr:\n${err}`));
      }
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.stdout!.resume();
      resolve({ proc, url: info.url, storage: info.storage, stderr: () => err });
    };
    proc.stdout!.setEncoding('utf8').on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`skein serve exited (${code ?? signal}) before listening; stderr:\n${err}`));
    });
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * Starts `skein serve` on `choice` (port 0: a free port) and waits until it prints its URL.
 * `extra` is more command-line words (e.g. `['--max-body', '4096']`).
 */
export async function startServerProcess(choice: ServerStorageChoice, extra: string[] = []): Promise<ServerProcess> {
  let current = await spawnServe(choice, 0, extra);
  const port = Number(new URL(current.url).port);
  const url = current.url;
  return {
    url,
    port,
    storage: current.storage,
    get proc() {
      return current.proc;
    },
    stderr: () => current.stderr(),
    async token(workspace) {
      const r = await skeinJson<{ token: string }>(['token', 'create', '--workspace', workspace, ...storageArgs(choice)]);
      return r.token;
    },
    async kill(signal = 'SIGKILL') {
      const done = exited(current.proc);
      current.proc.kill(signal);
      await done;
    },
    async restart() {
      if (current.proc.exitCode === null && current.proc.signalCode === null) throw new Error('the server is still running: kill it first');
      // The old socket is gone with the process; the port may take a moment to be free again.
      for (let attempt = 0; ; attempt++) {
        try {
          current = await spawnServe(choice, port, extra);
          return;
        } catch (err) {
          if (attempt >= 20 || !/EADDRINUSE/.test(String((err as Error).message))) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async stop() {
      const proc = current.proc;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = exited(proc);
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Calls the server's HTTP API with a token, answering the status and the parsed JSON body. */
export async function api(url: string, token: string | undefined, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(new URL(path, url), { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, body };
}

/**
 * For a describe block: a `skein serve` process on a new data directory, started before the
 * block's tests with a token for `workspace` handed to `ready`; after them, the cleanups pushed on
 * the returned list run (newest first), then the server stops and its data is removed.
 */
export function useServerProcess(workspace: string, extra: string[], ready: (server: ServerProcess, token: string) => void): (() => Promise<void>)[] {
  const cleanup: (() => Promise<void>)[] = [];
  let data: string | undefined;
  let server: ServerProcess | undefined;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-server-'));
    data = dir;
    server = await startServerProcess({ data: dir }, extra);
    ready(server, await server.token(workspace));
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c();
    await server?.stop();
    if (data) rmSync(data, { recursive: true, force: true });
  });
  return cleanup;
}

/** A live `/v1/events` stream read as text: `next()` reads one more chunk into `text`; `close()` ends it. */
export interface EventStream {
  text: string;
  next(): Promise<void>;
  close(): void;
}

/** Opens the server's event stream for `token` and reads its first chunk (": connected"). */
export async function openEventStream(url: string, token: string): Promise<EventStream> {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  if (res.status !== 200) throw new Error(`/v1/events answered ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const stream: EventStream = {
    text: '',
    async next() {
      const { value } = await reader.read();
      stream.text += decoder.decode(value, { stream: true });
    },
    close: () => ctrl.abort(),
  };
  await stream.next();
  return stream;
}
