/**
 * The commands by name. A new command is one file under commands/ and one line here; help,
 * argument parsing and error handling come from the runner.
 */
import type { Command } from './command.js';
import { appendCommand } from './commands/append.js';
import { costCommand } from './commands/cost.js';
import { demoCommand } from './commands/demo.js';
import { initCommand } from './commands/init.js';
import { logCommand } from './commands/log.js';
import { lsCommand } from './commands/ls.js';
import { newCommand } from './commands/new.js';
import { showCommand } from './commands/show.js';
import { spawnCommand } from './commands/spawn.js';
import { summarizeCommand } from './commands/summarize.js';
import { treeCommand } from './commands/tree.js';
import { handoffCommand } from './commands/handoff.js';
import { forkCommand } from './commands/fork.js';
import { serveCommand } from './commands/serve.js';
import { syncCommand } from './commands/sync.js';
import { tokenCommand } from './commands/token.js';
import { filesCommand } from './commands/files.js';
import { rollbackCommand } from './commands/rollback.js';
import { rewindCommand } from './commands/rewind.js';
import { archiveCommand } from './commands/archive.js';
import { restoreCommand } from './commands/restore.js';
import { duCommand } from './commands/du.js';
import { searchCommand } from './commands/search.js';
import { reindexCommand } from './commands/reindex.js';
import { mcpCommand } from './commands/mcp.js';
import { importCommand } from './commands/import.js';
import { exportCommand } from './commands/export.js';
import { uiCommand } from './commands/ui.js';
import { doctorCommand } from './commands/doctor.js';
import { shareCommand } from './commands/share.js';

/** Every command, in the order `skein --help` lists them. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [initCommand, newCommand, appendCommand, lsCommand, showCommand, logCommand, treeCommand, spawnCommand, summarizeCommand, handoffCommand, forkCommand, costCommand, filesCommand, rollbackCommand, rewindCommand, archiveCommand, restoreCommand, searchCommand, reindexCommand, shareCommand, duCommand, doctorCommand, importCommand, exportCommand, mcpCommand, syncCommand, serveCommand, uiCommand, tokenCommand, demoCommand].map(
    (c) => [c.name, c] as const,
  ),
);
