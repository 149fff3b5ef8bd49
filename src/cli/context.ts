/**
 * What a command runs with: where the store is, whether to print JSON, the output streams and
 * stdin, and the stores it opened (the runner closes them all when the command ends, however it
 * ends).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, SkeinError, ValidationError, openStore, type OpenStoreOptions, type Store } from '../index.js';
import { stringOpt, usageError, type OptionValues } from './args.js';
import { escapeControls } from './terminal-text.js';

/** The streams and environment the command line runs in (the process's, or a test's). */
export interface CliIo {
  /** `isTTY`: a terminal, where control characters in printed text are escaped. */
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

// The SQLite file openStore keeps in a store directory; its presence tells a store from any directory.
const DB_FILE = 'skein.db';

/** The store directory: `--dir`, else `$SKEIN_HOME`, else `~/.skein`. */
export function storeDir(dirOption: string | undefined, env: CliIo['env']): string {
  if (dirOption !== undefined) {
    if (dirOption === '') throw usageError('must not be empty', '--dir');
    return resolve(dirOption);
  }
  const home = env.SKEIN_HOME;
  return resolve(home ? home : join(homedir(), '.skein'));
}

/** True when `dir` holds a store. */
export function storeExists(dir: string): boolean {
  return existsSync(join(dir, DB_FILE));
}

/** See the module comment. */
export class CliContext {
  private readonly stores: Store[] = [];

  constructor(
    readonly io: CliIo,
    /** The resolved store directory. */
    readonly dir: string,
    /** Whether `--dir` was given (the demo uses a fresh directory otherwise). */
    readonly dirGiven: boolean,
    /** Whether `--json` was given. */
    readonly json: boolean,
  ) {}

  /** Prints lines of human output; on a terminal, control characters in them are shown escaped. */
  print(...lines: string[]): void {
    const tty = this.io.stdout.isTTY === true;
    for (const line of lines) this.io.stdout.write((tty ? escapeControls(line) : line) + '\n');
  }

  /** Prints one JSON document. */
  printJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /**
   * Opens the store in `dir` (default: the context's). Without `create`, a directory that holds no
   * store is NOT_FOUND rather than silently made into an empty store.
   */
  async openStore(options: { dir?: string; create?: boolean; remote?: OpenStoreOptions['remote']; cacheSize?: number } = {}): Promise<Store> {
    const dir = options.dir ?? this.dir;
    if (!options.create && !storeExists(dir))
      throw new SkeinError(ErrorCode.NOT_FOUND, `no skein store in ${dir} (create one with: skein init --dir ${dir})`);
    const store = await openStore({ dir, ...(options.remote && { remote: options.remote }), ...(options.cacheSize !== undefined && { cacheSize: options.cacheSize }) });
    this.stores.push(store);
    return store;
  }

  /** All of stdin as text when it is piped, undefined when it is a terminal. One final newline is dropped. */
  async readStdin(): Promise<string | undefined> {
    if (this.io.stdin.isTTY) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of this.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }

  /**
   * The text of a `--content`-like option, else stdin when it is piped: every command that takes a
   * message body accepts `echo text | skein <cmd> ID`.
   */
  async text(values: OptionValues, name: string, { allowEmpty = false } = {}): Promise<string> {
    const given = stringOpt(values, name);
    if (given !== undefined) return given;
    const piped = await this.readStdin();
    if (piped === undefined) throw new ValidationError(`--${name}`, 'is required (or pipe the text on stdin)');
    // An empty pipe is far more often a mistake upstream than an intended empty message.
    if (piped === '' && !allowEmpty) throw new ValidationError(`--${name}`, 'is required: stdin was empty');
    return piped;
  }

  /** ` --dir DIR` when the store was named with --dir, for the follow-up commands a command suggests. */
  dirFlag(): string {
    if (!this.dirGiven) return '';
    return ` --dir ${/[\s"'$\\]/.test(this.dir) ? JSON.stringify(this.dir) : this.dir}`;
  }

  /** Closes every store this context opened. */
  async close(): Promise<void> {
    await Promise.allSettled(this.stores.splice(0).map((s) => s.close()));
  }
}
