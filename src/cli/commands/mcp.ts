import { readFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { expectPositionals, stringOpt, usageError } from '../args.js';
import type { Command } from '../command.js';
import { createMcpServer } from '../../mcp/server.js';
import type { ThreadSource } from '../../mcp/source.js';
import { ServerReads } from '../../sync/server-reads.js';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * `skein mcp`: a Model Context Protocol server on stdio, until stdin closes, over the local store
 * or, with `--remote`, over a `skein serve` server (what the token's user may see there).
 */
export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve the threads to AI agents over the Model Context Protocol (stdio)',
  usage: 'skein mcp [--remote URL [--token T]]',
  details: [
    'tools: search_threads, read_thread, list_threads, thread_tree, thread_cost (read-only)',
    'Claude Code: claude mcp add skein -- skein mcp   (add --dir DIR to serve another store)',
    '             claude mcp add skein -- skein mcp --remote URL --token T   (a team server)',
    '--remote URL   answer from a skein server instead of the local store (no local store needed)',
    '--token T      its workspace token (default: $SKEIN_TOKEN); the token names the workspace',
    'stdout carries the protocol only; it runs until its client closes stdin',
  ],
  options: { remote: { type: 'string' }, token: { type: 'string' } },
  async run(args, ctx) {
    expectPositionals(args, []);
    const url = stringOpt(args.values, 'remote');
    let source: ThreadSource;
    let reads: ServerReads | undefined;
    if (url !== undefined) {
      const token = stringOpt(args.values, 'token') ?? ctx.io.env.SKEIN_TOKEN;
      if (!token) throw usageError('is required with --remote (or set SKEIN_TOKEN)', '--token');
      if (!/^https?:\/\//i.test(url)) throw usageError(`must be an http(s) URL: ${url}`, '--remote');
      source = reads = new ServerReads({ url, token });
    } else {
      if (stringOpt(args.values, 'token') !== undefined) throw usageError('goes with --remote', '--token');
      source = await ctx.openStore();
    }
    const server = createMcpServer(source, packageVersion());
    const transport = new StdioServerTransport(process.stdin, process.stdout);
    const done = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.connect(transport);
    await done;
    await server.close();
    reads?.close();
  },
};
