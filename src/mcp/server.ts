/**
 * The Model Context Protocol server: skein's threads as context for any agent (Claude Code, Codex,
 * OpenCode, ...). Tools: `search_threads`, `read_thread`, `list_threads`, `thread_tree`,
 * `thread_cost`, over the local store or a `skein serve` server (source.ts). Arguments are checked
 * by the SDK against zod schemas and again by the store or the server; anything wrong (a server
 * that refuses the token or is down included) comes back as a tool error (`isError`) naming the
 * problem, never a crash.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { SkeinError, kindOf, parseThreadId, type ThreadTree } from '../index.js';
import { MAX_WINDOW, readThread } from './read-thread.js';
import type { ThreadSource } from './source.js';

/** What a tool answers. */
type ToolAnswer = { content: { type: 'text'; text: string }[]; isError?: boolean };

/** Runs a tool body: its text, or a tool error with the SkeinError code and message. */
async function answer(fn: () => Promise<string>): Promise<ToolAnswer> {
  try {
    return { content: [{ type: 'text', text: await fn() }] };
  } catch (err) {
    const text = err instanceof SkeinError ? `${err.code}: ${err.message}` : `error: ${err instanceof Error ? err.message : String(err)}`;
    return { content: [{ type: 'text', text }], isError: true };
  }
}

const json = (value: unknown) => JSON.stringify(value);

/** A tree of heads, trimmed to what an agent needs. */
function treeView(t: ThreadTree): unknown {
  const { thread: h } = t;
  return {
    id: h.id,
    title: h.title ?? null,
    kind: kindOf(h),
    messages: h.messageCount,
    updated: new Date(h.updated).toISOString(),
    ...(h.archived !== undefined && { archived: true }),
    children: t.children.map(treeView),
    summaries: t.summaries.map(treeView),
  };
}

const threadId = z.string().describe('a thread id, T-<uuid>');

/**
 * Makes the MCP server over a source of threads: the local store, or a server's read routes
 * (the caller connects a transport).
 */
export function createMcpServer(store: ThreadSource, version: string): McpServer {
  const server = new McpServer({ name: 'skein', version });

  server.registerTool(
    'search_threads',
    {
      title: 'Search threads',
      description:
        'Full-text search over earlier agent threads: message text, tool names, tool inputs and outputs (file paths too), titles. ' +
        'Query: words (all must match), "a phrase", prefix*, a OR b, -excluded. Results by relevance then recency, each with ' +
        'threadId, messageId (null: the title matched), title, snippet; pass nextCursor back as cursor for more.',
      inputSchema: {
        query: z.string().describe('what to look for'),
        limit: z.number().int().min(1).max(50).optional().describe('results (default 10)'),
        cursor: z.string().optional().describe('nextCursor of the previous answer'),
        kind: z.enum(['main', 'subagent', 'summary']).optional(),
        model: z.string().optional().describe('only messages made with this model'),
        cwd: z.string().optional().describe('only threads whose working directory is this or below'),
        since: z.string().optional().describe('only messages from this ISO date/time on'),
      },
      annotations: { readOnlyHint: true },
    },
    (a) =>
      answer(async () => {
        const page = await store.search(a.query, {
          limit: a.limit ?? 10,
          ...(a.cursor !== undefined && { cursor: a.cursor }),
          ...(a.kind !== undefined && { kind: a.kind }),
          ...(a.model !== undefined && { model: a.model }),
          ...(a.cwd !== undefined && { cwd: a.cwd }),
          ...(a.since !== undefined && { since: a.since }),
        });
        const results = page.results.map(({ highlights: _h, timestamp, ...r }) => ({ ...r, time: new Date(timestamp).toISOString() }));
        return json({ results, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) });
      }),
  );

  server.registerTool(
    'read_thread',
    {
      title: 'Read a thread',
      description:
        `Reads a thread's messages as text: the newest N (default 20), or the range from..to by index (0 = oldest; at most ${MAX_WINDOW}). ` +
        'Tool inputs and outputs longer than maxToolChars are trimmed with a marker. The header says how to read older messages.',
      inputSchema: {
        threadId,
        newest: z.number().int().min(1).max(MAX_WINDOW).optional(),
        from: z.number().int().min(0).optional(),
        to: z.number().int().min(0).optional(),
        maxToolChars: z.number().int().min(100).max(100_000).optional().describe('default 2000'),
      },
      annotations: { readOnlyHint: true },
    },
    (a) =>
      answer(() =>
        readThread(store, parseThreadId(a.threadId, 'threadId'), {
          ...(a.newest !== undefined && { newest: a.newest }),
          ...(a.from !== undefined && { from: a.from }),
          ...(a.to !== undefined && { to: a.to }),
          ...(a.maxToolChars !== undefined && { maxToolChars: a.maxToolChars }),
        }),
      ),
  );

  server.registerTool(
    'list_threads',
    {
      title: 'List threads',
      description: 'Threads, newest activity first: id, title, kind, message count, last change. Pass nextCursor back as cursor for more.',
      inputSchema: { limit: z.number().int().min(1).max(200).optional().describe('default 20'), cursor: z.string().optional() },
      annotations: { readOnlyHint: true },
    },
    (a) =>
      answer(async () => {
        const page = await store.listThreads({ limit: a.limit ?? 20, ...(a.cursor !== undefined && { cursor: a.cursor }) });
        const threads = page.threads.map((t) => ({
          id: t.id,
          title: t.title ?? null,
          kind: kindOf(t),
          messages: t.messageCount,
          updated: new Date(t.updated).toISOString(),
          ...(t.archived !== undefined && { archived: true }),
        }));
        return json({ threads, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) });
      }),
  );

  server.registerTool(
    'thread_tree',
    {
      title: 'Thread tree',
      description: 'The sub-agent threads and summaries under a thread, recursively.',
      inputSchema: { threadId },
      annotations: { readOnlyHint: true },
    },
    (a) => answer(async () => json(treeView(await store.getThreadTree(parseThreadId(a.threadId, 'threadId'))))),
  );

  server.registerTool(
    'thread_cost',
    {
      title: 'Thread cost',
      description: 'Tokens and cost (USD) of a thread by model; with tree, its sub-agents and summaries included; with byDay, by UTC day too.',
      inputSchema: { threadId, tree: z.boolean().optional(), byDay: z.boolean().optional() },
      annotations: { readOnlyHint: true },
    },
    (a) =>
      answer(async () =>
        json(await store.usage(parseThreadId(a.threadId, 'threadId'), { ...(a.tree !== undefined && { tree: a.tree }), ...(a.byDay !== undefined && { byDay: a.byDay }) })),
      ),
  );

  return server;
}
