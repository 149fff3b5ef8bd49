/**
 * Where the MCP tools read threads from: the local store, or a `skein serve` server over HTTP
 * (`skein mcp --remote`, sync/server-reads.ts). Both answer with the store's shapes, so every tool
 * is written once against this interface.
 */
import type { MessagePage, SearchOptions, SearchResults, Thread, ThreadID, ThreadInfo, ThreadSummary, ThreadTree, UsageReport } from '../index.js';

/** The reads the tools need; a `Store` is one as it is. */
export interface ThreadSource {
  search(query: string, options: SearchOptions): Promise<SearchResults>;
  listThreads(options: { limit?: number; cursor?: string }): Promise<{ threads: ThreadSummary[]; nextCursor?: string }>;
  /** The head, or null when there is no such thread (for this reader). */
  info(id: ThreadID): Promise<ThreadInfo | null>;
  /** `offset` counts back from the newest message. ARCHIVED for an archived thread. */
  loadPage(id: ThreadID, options: { limit: number; offset: number }): Promise<MessagePage>;
  /** The whole thread, or null (how an archived thread is read). */
  getThread(id: ThreadID): Promise<Thread | null>;
  getThreadTree(id: ThreadID): Promise<ThreadTree>;
  usage(id: ThreadID, options: { tree?: boolean; byDay?: boolean }): Promise<UsageReport>;
}
