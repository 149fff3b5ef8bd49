/**
 * The answers of the server's read routes (thread list, head, pages, whole thread, search, tree,
 * cost), checked with zod at the client boundary like the sync answers: a client that shows them
 * to an agent relies on their shape. Objects are checked for the fields readers use and keep the
 * rest as sent (a newer server may add fields).
 */
import { z } from 'zod';
import { SkeinError, ErrorCode } from '../errors.js';
import { isThreadId, type ThreadID } from '../model/ids.js';
import type { Thread } from '../model/types.js';
import type { ThreadTree, UsageReport } from '../store/relations.js';
import type { SearchResults } from '../store/search/search.js';
import type { MessagePage, ThreadInfo, ThreadSummary } from '../store/types.js';

const threadId = z.custom<ThreadID>(isThreadId, { message: 'must be a thread id' });
const count = z.number().int().nonnegative();
const time = z.number();

const message = z.looseObject({
  id: z.string(),
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string(),
  timestamp: time,
  toolCalls: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(),
  toolResults: z.array(z.looseObject({ toolCallId: z.string(), isError: z.boolean().optional() })).optional(),
  resourceUsage: z.looseObject({ model: z.string().optional() }).optional(),
});
const link = z.looseObject({ rel: z.enum(['handoff', 'fork', 'mention']), threadId, messageId: z.string().optional() });
const headFields = {
  id: threadId,
  v: count,
  created: time,
  title: z.string().optional(),
  mainThreadID: threadId.optional(),
  originThreadID: threadId.optional(),
  childThreadIDs: z.array(threadId),
  summaryThreadIDs: z.array(threadId),
  handoffFrom: threadId.optional(),
  forkedFrom: threadId.optional(),
  links: z.array(link).optional(),
  archived: time.optional(),
  visibility: z.enum(['private', 'workspace', 'public']).optional(),
};
const info = z.looseObject({ ...headFields, messageCount: count, updated: time });
const thread = z.looseObject({ ...headFields, messages: z.array(message) });
const { childThreadIDs: _c, summaryThreadIDs: _s, links: _l, ...rowFields } = headFields;
const row = z.looseObject({ ...rowFields, messageCount: count, updated: time, childCount: count, summaryCount: count, linkCount: count });
const list = z.object({ threads: z.array(row), nextCursor: z.string().optional() });
const page = z.looseObject({ id: threadId, v: count, messages: z.array(message), totalMessages: count, hasMore: z.boolean(), hasNewer: z.boolean() });
const search = z.object({
  results: z.array(
    z.looseObject({
      threadId,
      messageId: z.string().nullable(),
      title: z.string().nullable(),
      snippet: z.string(),
      highlights: z.array(z.tuple([count, count])),
      score: z.number(),
      timestamp: time,
      archived: z.boolean(),
    }),
  ),
  nextCursor: z.string().optional(),
});
const treeLink = z.looseObject({ rel: z.string(), thread: info, messageId: z.string().optional() });
type TreeShape = { thread: z.infer<typeof info>; children: TreeShape[]; summaries: TreeShape[]; links: z.infer<typeof treeLink>[] };
const tree: z.ZodType<TreeShape> = z.lazy(() => z.object({ thread: info, children: z.array(tree), summaries: z.array(tree), links: z.array(treeLink) }));
const totals = {
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  costUSD: z.number(),
};
const totalsObject = z.looseObject(totals);
const usage = z.looseObject({
  ...totals,
  threads: count,
  byModel: z.record(z.string(), totalsObject),
  byDay: z.record(z.string(), totalsObject).optional(),
});

function answer<T>(schema: z.ZodType, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data as T;
  const issue = r.error.issues[0]!;
  throw new SkeinError(ErrorCode.SERVER, `the server's answer is not ${what}: ${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
}

/** The schemas of the read answers, by route. */
export const parseRead = {
  list: (v: unknown) => answer<{ threads: ThreadSummary[]; nextCursor?: string }>(list, v, 'a thread list'),
  info: (v: unknown) => answer<ThreadInfo>(info, v, "a thread's head"),
  thread: (v: unknown) => answer<Thread>(thread, v, 'a thread'),
  page: (v: unknown) => answer<MessagePage>(page, v, 'a page of messages'),
  search: (v: unknown) => answer<SearchResults>(search, v, 'search results'),
  tree: (v: unknown) => answer<ThreadTree>(tree, v, 'a thread tree'),
  usage: (v: unknown) => answer<UsageReport>(usage, v, 'a usage report'),
};
