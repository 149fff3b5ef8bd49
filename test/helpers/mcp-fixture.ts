/** The conversation both MCP suites (local store and `--remote`) read: a tool call with a long output and 30 more steps. */
import type { Delta } from '../../src/index.js';

export function billingConversation(): Delta[] {
  return [
    { type: 'user:message', message: { content: 'Move the nightly invoice job to the new scheduler' } },
    {
      type: 'assistant:message',
      message: {
        content: 'Reading the cron file.',
        toolCalls: [{ id: 'c1', name: 'read_file', input: { path: 'deploy/crontab' } }],
        resourceUsage: { model: 'opus', inputTokens: 1000, outputTokens: 50, costUSD: 0.02 },
      },
    },
    { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'c1', output: `0 2 * * * invoices ${'x'.repeat(5000)}` }] } },
    ...Array.from({ length: 30 }, (_, i) => ({ type: 'assistant:message' as const, message: { content: `step ${i}` } })),
  ];
}
