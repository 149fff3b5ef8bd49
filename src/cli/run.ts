/**
 * The command line's runner: finds the command, parses its arguments, runs it with a context and
 * closes what it opened, and turns every failure into one line on stderr and an exit code
 * (2 for bad usage or input, 1 for anything else). It never lets a stack trace reach the user;
 * `SKEIN_DEBUG=1` prints the cause chain for developers.
 */
import { readFileSync } from 'node:fs';
import { ErrorCode, fromUnknown, type SkeinError } from '../index.js';
import { flag, parseCommandArgs, splitCommand, stringOpt, usageError } from './args.js';
import type { Command } from './command.js';
import { escapeControls } from './terminal-text.js';
import { CliContext, storeDir, type CliIo } from './context.js';
import { table } from './output.js';
import { COMMANDS } from './registry.js';

/** Exit code for bad usage or invalid input. */
export const EXIT_USAGE = 2;
/** Exit code for every other failure (not found, conflict, busy, I/O, ...). */
export const EXIT_FAILURE = 1;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string[] {
  return [
    'skein: a versioned, local-first thread store for AI coding agents',
    '',
    'usage: skein <command> [ID] [options]',
    '',
    'commands:',
    ...table(
      [{ header: '' }, { header: '' }],
      [...COMMANDS.values()].map((c) => [`  ${c.name}`, c.summary]),
    ).slice(1),
    '',
    'options of every command:',
    '  --dir DIR    the store directory (default: $SKEIN_HOME, else ~/.skein)',
    '  --json       print one JSON document on stdout, for scripts',
    '  -h, --help   help for the command',
    '',
    "run 'skein help <command>' for a command's options; 'skein --version' prints the version.",
  ];
}

function commandHelp(c: Command): string[] {
  return [`usage: ${c.usage} [--dir DIR] [--json]`, '', c.summary, ...(c.details.length ? ['', ...c.details.map((d) => `  ${d}`)] : [])];
}

function findCommand(name: string): Command {
  const c = COMMANDS.get(name);
  if (!c) throw usageError(`unknown command ${JSON.stringify(name)} (see skein --help)`);
  return c;
}

function report(io: CliIo, err: SkeinError): void {
  // One line, and never a terminal escape from text an error message quotes.
  io.stderr.write(`skein: ${escapeControls(err.message.replace(/\s*\n\s*/g, ' '))}\n`);
  if (io.env.SKEIN_DEBUG) {
    let e: unknown = err;
    while (e instanceof Error) {
      io.stderr.write(`${e.stack ?? e.message}\n`);
      e = e.cause;
    }
  }
}

/** Runs `skein` with these arguments (without `node` and the script) and answers the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    const { name, rest } = splitCommand(argv);
    if (name === undefined) {
      const { values } = parseCommandArgs(rest, { version: { type: 'boolean' } });
      io.stdout.write((flag(values, 'version') ? [version()] : mainHelp()).join('\n') + '\n');
      return 0;
    }
    if (name === 'help') {
      const [topic, ...more] = rest.filter((a) => !a.startsWith('-'));
      if (more.length) throw usageError(`unexpected argument ${JSON.stringify(more[0])}`);
      io.stdout.write((topic === undefined ? mainHelp() : commandHelp(findCommand(topic))).join('\n') + '\n');
      return 0;
    }
    const command = findCommand(name);
    const args = parseCommandArgs(rest, command.options);
    if (flag(args.values, 'help')) {
      io.stdout.write(commandHelp(command).join('\n') + '\n');
      return 0;
    }
    const dirOption = stringOpt(args.values, 'dir');
    ctx = new CliContext(io, storeDir(dirOption, io.env), dirOption !== undefined, flag(args.values, 'json'));
    await command.run(args, ctx);
    return 0;
  } catch (err) {
    const e = fromUnknown(err);
    report(io, e);
    return e.code === ErrorCode.VALIDATION ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await ctx?.close();
  }
}
