/**
 * A thread as a readable Markdown transcript: a heading per message with its role and time, the
 * text as written, thinking in a collapsed block, tool calls and results in fenced code blocks
 * (fences longer than any backtick run inside, so nothing breaks out), and token and cost figures.
 */
import type { Message, Thread } from '../model/types.js';
import type { UsageReport } from '../store/relations.js';

/** A fenced block that no content can close early. */
export function fence(body: string, lang = ''): string {
  const runs = body.match(/`{3,}/g) ?? [];
  const len = Math.max(3, ...runs.map((r) => r.length + 1));
  const f = '`'.repeat(len);
  return `${f}${lang}\n${body}\n${f}\n`;
}

function asText(v: unknown): { body: string; lang: string } {
  if (typeof v === 'string') return { body: v, lang: '' };
  return { body: JSON.stringify(v, null, 2) ?? String(v), lang: 'json' };
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function usd(n: number): string {
  return `$${n.toFixed(4)}`;
}

function messageMd(m: Message): string {
  const parts: string[] = [];
  const label = m.role === 'user' && m.toolResults && !m.content ? 'tool results' : m.role;
  parts.push(`### ${label} · ${time(m.timestamp)}\n`);
  if (typeof m.thinking === 'string' && m.thinking) parts.push(`<details><summary>thinking</summary>\n\n${fence(m.thinking)}\n</details>\n`);
  if (m.content) parts.push(`${m.content}\n`);
  if (Array.isArray(m.images)) for (const img of m.images as { sha256?: string; mediaType?: string }[]) parts.push(`*[image ${img.mediaType ?? ''} sha256:${img.sha256 ?? '?'}]*\n`);
  for (const c of m.toolCalls ?? []) {
    const { body, lang } = asText(c.input);
    parts.push(`**tool call** \`${c.name}\` (${c.id})\n\n${fence(body, lang)}`);
  }
  for (const r of m.toolResults ?? []) {
    const { body, lang } = asText(r.output);
    parts.push(`**tool result** for ${r.toolCallId}${r.isError ? ' (error)' : ''}\n\n${fence(body, lang)}`);
  }
  const u = m.resourceUsage;
  if (u) {
    const cost = u.costUSD === undefined ? '' : ` · ${usd(u.costUSD)}${m.costEstimated === true ? ' (estimated)' : ''}`;
    parts.push(
      `*${u.model ?? 'model?'}: ${u.inputTokens ?? 0} in, ${u.outputTokens ?? 0} out, ${u.cacheReadTokens ?? 0} cache read, ${u.cacheWriteTokens ?? 0} cache write${cost}*\n`,
    );
  }
  return parts.join('\n');
}

/** The transcript of one thread. */
export function markdownOf(t: Thread, usage: UsageReport): string {
  const estimated = t.meta?.costEstimated === true ? ' (estimated)' : '';
  const lines = [
    `# ${t.title ?? t.id}`,
    '',
    `- id: ${t.id} (v${t.v})`,
    `- created: ${time(t.created)}`,
    ...(t.env?.cwd ? [`- cwd: ${t.env.cwd}`] : []),
    ...(t.mainThreadID ? [`- sub-agent of: ${t.mainThreadID}`] : []),
    ...(t.originThreadID ? [`- summary of: ${t.originThreadID}`] : []),
    `- messages: ${t.messages.length}`,
    `- cost: ${usd(usage.costUSD)}${estimated} · ${usage.inputTokens} in, ${usage.outputTokens} out, ${usage.cacheReadTokens} cache read, ${usage.cacheWriteTokens} cache write tokens`,
    '',
  ];
  return lines.join('\n') + '\n' + t.messages.map(messageMd).join('\n') + '\n';
}
