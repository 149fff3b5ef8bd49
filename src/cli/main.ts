#!/usr/bin/env node
/**
 * The `skein` executable: runs the command line with the process's arguments and streams.
 */
import { runCli } from './run.js';

// Writing to a closed pipe (`skein ls | head`) is the reader's choice to stop, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
