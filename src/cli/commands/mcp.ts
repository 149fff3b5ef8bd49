import { readFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { createMcpServer } from '../../mcp/server.js';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** `skein mcp`: a Model Context Protocol server on stdio over the local store, until stdin closes. */
export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve the threads to AI agents over the Model Context Protocol (stdio)',
  usage: 'skein mcp',
  details: [
    'tools: search_threads, read_thread, list_threads, thread_tree, thread_cost (read-only)',
    'Claude Code: claude mcp add skein -- skein mcp   (add --dir DIR to serve another store)',
    'stdout carries the protocol only; it runs until its client closes stdin',
  ],
  options: {},
  async run(args, ctx) {
    expectPositionals(args, []);
    const store = await ctx.openStore();
    const server = createMcpServer(store, packageVersion());
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
  },
};
