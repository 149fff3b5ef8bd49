/**
 * Argument parsing for every command: `node:util` parseArgs in strict mode (an unknown option is
 * an error), plus typed readers that turn a bad value into a `ValidationError` naming the option,
 * so the command line reports it on one line and exits with the usage code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationError, parseThreadId, type ThreadID } from '../index.js';

/** The option table of a command, in parseArgs' shape. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values by long name. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command receives: its options and its positional arguments (the command name removed). */
export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  dir: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** A usage error: bad or missing arguments. Reported like any other validation failure. */
export function usageError(message: string, option = ''): ValidationError {
  return new ValidationError(option, message);
}

/** Parses a command's arguments strictly against its options and the global ones. */
export function parseCommandArgs(argv: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, strict: true, allowPositionals: true });
    return { values: values as OptionValues, positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec(e.message)?.[1] ?? 'option';
      throw usageError(`unknown option ${name}`);
    }
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw usageError(e.message.split(/\.\s/)[0]!.replace(/\.$/, ''));
    throw err;
  }
}

/**
 * Moves options written before the command (`skein --dir D ls`) after it, so that the command's
 * own strict parse sees them. Returns the command name (undefined when there is none).
 */
export function splitCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const arg = argv[i]!;
    lead.push(arg);
    i += 1;
    if (arg === '--dir' && i < argv.length) lead.push(argv[i++]!);
  }
  return { name: argv[i], rest: [...lead, ...argv.slice(i + 1)] };
}

/** A string option, or undefined when absent. */
export function stringOpt(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option, [] when absent. */
export function stringList(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** A boolean flag. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** An integer option within bounds, or undefined when absent. */
export function intOpt(values: OptionValues, name: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  const raw = stringOpt(values, name);
  if (raw === undefined) return undefined;
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw usageError(`must be an integer${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}, not ${JSON.stringify(raw)}`, `--${name}`);
  return n;
}

/** A JSON option parsed, or undefined when absent. The shape is checked later by the library's schema. */
export function jsonOpt(values: OptionValues, name: string): unknown {
  const raw = stringOpt(values, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw usageError(`not valid JSON (${(err as Error).message})`, `--${name}`);
  }
}

/** One of a closed set of words, or undefined when absent. */
export function choiceOpt<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const raw = stringOpt(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) throw usageError(`must be one of ${choices.join(', ')}, not ${JSON.stringify(raw)}`, `--${name}`);
  return raw as T;
}

/** `k=v` pairs as an object (values stay strings). Built with fromEntries so that no key reaches a prototype. */
export function keyValues(values: OptionValues, name: string): Record<string, string> | undefined {
  const pairs = stringList(values, name);
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw usageError(`expected key=value, not ${JSON.stringify(p)}`, `--${name}`);
      return [p.slice(0, eq), p.slice(eq + 1)];
    }),
  );
}

/** Checks the number of positional arguments: `names` are the expected ones, in order. */
export function expectPositionals(args: ParsedArgs, names: string[]): string[] {
  const extra = args.positionals[names.length];
  if (extra !== undefined) throw usageError(`unexpected argument ${JSON.stringify(extra)}`);
  const missing = names[args.positionals.length];
  if (missing !== undefined) throw usageError(`missing ${missing}`);
  return args.positionals;
}

/**
 * Runs library work and renames the fields of its validation errors to the options they came
 * from (`atVersion` -> `--at`), so the message names what the user typed.
 */
export async function asOptions<T>(work: Promise<T>, names: Record<string, string>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const [field, option] of Object.entries(names)) {
        if (err.field !== field && !err.field.startsWith(`${field}.`)) continue;
        const rest = err.field.slice(field.length + 1);
        const bare = err.message.slice(err.field.length + 2);
        throw new ValidationError(rest ? `${option} ${rest}` : option, bare, { cause: err });
      }
    }
    throw err;
  }
}

/** The thread id a command takes as its only positional argument. */
export function threadIdArg(args: ParsedArgs): ThreadID {
  const [id] = expectPositionals(args, ['thread ID']);
  return parseThreadId(id, 'ID');
}
