/**
 * Runs a helper script in a real child process (`node --import tsx <script>`) and talks to it in
 * JSON lines: `send` writes a command to its stdin, `next` waits for its next stdout line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running helper script. */
export interface Child {
  readonly proc: ChildProcess;
  /** Every complete stdout line so far. */
  readonly lines: string[];
  /** The next stdout line not yet taken. */
  nextLine(timeoutMs?: number): Promise<string>;
  /** The next stdout line not yet taken, parsed as JSON. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  send(command: Record<string, unknown>): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts `test/helpers/<script>` with `args`. */
export function spawnChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let taken = 0;
  let partial = '';
  let err = '';
  let wake: (() => void) | undefined;
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    // Only lines ended by a newline count: a process killed mid-write leaves no half line behind.
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
    wake?.();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      resolve({ code, signal });
      wake?.();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  const nextLine = async (timeoutMs = 20_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (taken >= lines.length) {
      if (done) throw new Error(`${script} exited before answering; stderr:\n${err}`);
      if (Date.now() > deadline) throw new Error(`${script} did not answer within ${timeoutMs} ms; stderr:\n${err}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return lines[taken++]!;
  };
  return {
    proc,
    lines,
    nextLine,
    next: async (timeoutMs) => JSON.parse(await nextLine(timeoutMs)) as Record<string, unknown>,
    send: (command) => proc.stdin!.write(JSON.stringify(command) + '\n'),
    exited,
    stderr: () => err,
  };
}

/** Kills a child (resuming it first if stopped) and waits for it to exit. */
export async function killChild(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGCONT');
    child.proc.kill('SIGKILL');
  }
  await child.exited;
}
