/**
 * The shape of a command. Each command is one file exporting a {@link Command}; the registry maps
 * names to them, so a new command is a new file plus one registry line.
 */
import type { OptionSpec, ParsedArgs } from './args.js';
import type { CliContext } from './context.js';

/** One `skein` command. */
export interface Command {
  name: string;
  /** One line for `skein --help`. */
  summary: string;
  /** The synopsis, e.g. `skein show ID [--limit N]`. */
  usage: string;
  /** Option descriptions and notes for `skein help <name>`, one entry a line. */
  details: string[];
  /** The command's own options (`--dir`, `--json` and `--help` are added to every command). */
  options: OptionSpec;
  run(args: ParsedArgs, ctx: CliContext): Promise<void>;
}
