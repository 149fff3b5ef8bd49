/**
 * How threads, messages and ops read on a terminal, shared by the commands that show them. Also
 * the JSON shape of a thread on the command line: the thread without its internal merge clock.
 */
import type { Message, Op, ResourceUsage, Thread } from '../index.js';
import { excerpt, formatCost, formatCount, formatTime } from './output.js';

/** A thread as `--json` prints it: everything but the bookkeeping `clock`. */
export function withoutClock<T extends { clock?: unknown }>(thread: T): Omit<T, 'clock'> {
  const { clock: _clock, ...rest } = thread;
  return rest;
}

/** `atlas-large · 1,200 in · 300 out · 5,000 cache read · $0.0123`. */
export function usageLine(u: ResourceUsage): string {
  const parts: string[] = [];
  if (u.model !== undefined) parts.push(u.model);
  if (u.inputTokens !== undefined) parts.push(`${formatCount(u.inputTokens)} in`);
  if (u.outputTokens !== undefined) parts.push(`${formatCount(u.outputTokens)} out`);
  if (u.cacheReadTokens) parts.push(`${formatCount(u.cacheReadTokens)} cache read`);
  if (u.cacheWriteTokens) parts.push(`${formatCount(u.cacheWriteTokens)} cache write`);
  if (u.costUSD !== undefined) parts.push(formatCost(u.costUSD));
  return parts.join(' · ');
}

/** A message as a block of lines: a header, the content indented, then tool calls and results. */
export function messageLines(m: Message): string[] {
  const head = [`[${m.role}]`, formatTime(m.timestamp), m.id];
  if (m.resourceUsage) head.push(usageLine(m.resourceUsage));
  const lines = [head.join('  ')];
  if (m.content !== '') for (const l of m.content.split('\n')) lines.push(`  ${l}`);
  for (const c of m.toolCalls ?? []) lines.push(`  → ${c.name} ${excerpt(c.input, 100)}  (${c.id})`);
  for (const r of m.toolResults ?? []) lines.push(`  ← ${r.toolCallId}${r.isError ? ' ERROR' : ''}: ${excerpt(r.output, 100)}`);
  return lines;
}

/** What an op did, on one line (for `skein log`). */
export function opDetail(op: Op): string {
  switch (op.type) {
    case 'thread:create': {
      const f = op.fields;
      const parts = [f.title !== undefined ? JSON.stringify(f.title) : '(untitled)'];
      if (f.mainThreadID) parts.push(`sub-agent of ${f.mainThreadID}`);
      if (f.originThreadID) parts.push(`summary of ${f.originThreadID}`);
      if (f.handoffFrom) parts.push(`handoff from ${f.handoffFrom}`);
      if (f.forkedFrom) parts.push(`fork of ${f.forkedFrom} at ${f.forkedAt ?? '?'}`);
      if (f.env?.cwd) parts.push(`cwd ${f.env.cwd}`);
      return parts.join(', ');
    }
    case 'user:message':
    case 'assistant:message':
    case 'system:message': {
      const m = op.message;
      const parts = [m.content !== '' ? JSON.stringify(excerpt(m.content, 60)) : ''];
      if (m.toolCalls?.length) parts.push(`calls ${m.toolCalls.map((c) => c.name).join(', ')}`);
      if (m.toolResults?.length) parts.push(`${m.toolResults.length} tool result${m.toolResults.length === 1 ? '' : 's'}`);
      if (m.resourceUsage) parts.push(usageLine(m.resourceUsage));
      return parts.filter(Boolean).join('  ');
    }
    case 'title':
      return JSON.stringify(op.value);
    case 'thread:truncate':
      return `hide from message ${op.fromMessageId} (index ${op.fromIndex})`;
    case 'meta:set':
      return `${op.key} = ${excerpt(op.value, 60)}`;
    case 'env:set':
      return excerpt(op.env, 80);
    case 'child:link':
    case 'summary:link':
      return op.linked;
    case 'archive':
    case 'restore':
      return '';
    case 'visibility:set':
      return op.value;
    case 'handoff:link':
      return op.linked;
    case 'fork:link':
    case 'mention:link':
      return `${op.linked} (message ${op.messageId})`;
  }
}

/** The thread's title, or a stand-in. */
export function titleOf(t: Pick<Thread, 'title'>): string {
  return t.title ?? '(untitled)';
}
