/**
 * One message as HTML: role, time, permalink, usage and cost; its text as markdown (safely);
 * thinking collapsed; images (inline data only: the viewer never loads from the network); each
 * tool call collapsible with a slot where the client script puts its result; tool results marked
 * by the call they answer (errors marked), so a result on another page still finds its call.
 */
import type { Message, ResourceUsage, ToolCall, ToolResult } from '../model/types.js';
import { clip, formatCost, formatCount, preview, safeJson, timeTag } from './format.js';
import { html, trusted, type SafeHtml } from './html.js';
import { highlightCode, renderMarkdown, type MarkdownOptions } from './markdown.js';

/** Longest tool input or output shown (the rest is summarized). */
const MAX_TOOL_TEXT = 50_000;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** An inline image as a data URL, when `value` is one in a known shape; undefined otherwise. */
export function imageUrl(value: unknown): string | undefined {
  if (typeof value === 'string') return /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(value) ? value : undefined;
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const src = (v.source && typeof v.source === 'object' ? v.source : v) as Record<string, unknown>;
  const type = src.media_type ?? src.mediaType ?? src.mimeType ?? src.mime_type;
  const data = src.data;
  if (typeof type === 'string' && IMAGE_TYPES.has(type) && typeof data === 'string' && /^[A-Za-z0-9+/=\s]+$/.test(data))
    return `data:${type};base64,${data.replace(/\s+/g, '')}`;
  if (typeof v.url === 'string') return imageUrl(v.url);
  if (v.image_url && typeof v.image_url === 'object') return imageUrl((v.image_url as Record<string, unknown>).url);
  return undefined;
}

/** The text of thinking or reasoning in the shapes agents use (string, list of strings or blocks). */
export function thinkingText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(thinkingText).filter(Boolean).join('\n\n');
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    for (const k of ['thinking', 'text', 'summary', 'content']) if (k in v) return thinkingText(v[k]);
  }
  return '';
}

/** A usage line: model, tokens and cost. */
export function usageLine(u: ResourceUsage): string {
  const parts: string[] = [];
  if (u.model) parts.push(u.model);
  if (u.inputTokens) parts.push(`in ${formatCount(u.inputTokens)}`);
  if (u.outputTokens) parts.push(`out ${formatCount(u.outputTokens)}`);
  if (u.cacheReadTokens) parts.push(`cache read ${formatCount(u.cacheReadTokens)}`);
  if (u.cacheWriteTokens) parts.push(`cache write ${formatCount(u.cacheWriteTokens)}`);
  if (u.costUSD !== undefined) parts.push(`${formatCost(u.costUSD)}${(u as Record<string, unknown>).costEstimated === true ? ' (estimated)' : ''}`);
  return parts.join(' · ');
}

function images(values: unknown[]): SafeHtml {
  const urls = values.map(imageUrl).filter((u): u is string => u !== undefined);
  if (urls.length === 0) return html``;
  return html`<div class="images">${urls.map((u) => html`<img src="${u}" alt="image" loading="lazy">`)}</div>`;
}

function pre(text: string, lang?: string): SafeHtml {
  // highlightCode escapes what it is given.
  const shown = clip(text, MAX_TOOL_TEXT);
  return html`<pre class="code"><code class="hljs">${lang ? trusted(highlightCode(shown, lang)) : shown}</code></pre>`;
}

function output(value: unknown): SafeHtml {
  if (typeof value === 'string') return pre(value);
  if (Array.isArray(value)) {
    const parts = value.map((block) => {
      const img = imageUrl(block);
      if (img) return html`<div class="images"><img src="${img}" alt="image" loading="lazy"></div>`;
      if (block && typeof block === 'object' && typeof (block as { text?: unknown }).text === 'string') return pre((block as { text: string }).text);
      return pre(safeJson(block, 2), 'json');
    });
    return html`${parts}`;
  }
  return pre(safeJson(value, 2), 'json');
}

function toolCall(call: ToolCall): SafeHtml {
  return html`<details class="tool-call" data-call="${call.id}">
<summary><span class="tool-name">${call.name}</span> <span class="tool-brief">${preview(call.input)}</span><span class="tool-status"></span></summary>
<div class="tool-io"><div class="tool-input"><div class="label">input</div>${pre(safeJson(call.input, 2), 'json')}</div><div class="tool-slot"><div class="label pending">no result yet</div></div></div>
</details>`;
}

function toolResult(r: ToolResult): SafeHtml {
  return html`<div class="tool-result${r.isError ? ' is-error' : ''}" data-for="${r.toolCallId}"><div class="label">${r.isError ? 'error' : 'result'}</div>${output(r.output)}</div>`;
}

/**
 * A message as an `<article id="m-ID">`. `threadLinks`: thread ids its text names link to their
 * pages (the viewer's own pages; a share page, read without a token, leaves them as text).
 */
export function renderMessage(m: Message, options: MarkdownOptions): SafeHtml {
  const thinking = thinkingText(m.thinking ?? m.reasoning);
  const calls = m.toolCalls ?? [];
  const results = m.toolResults ?? [];
  const pics = Array.isArray(m.images) ? m.images : [];
  const onlyResults = m.content.trim() === '' && calls.length === 0 && results.length > 0 && !thinking && pics.length === 0;
  return html`<article class="msg role-${m.role}${onlyResults ? ' only-results' : ''}" id="m-${m.id}" data-id="${m.id}" tabindex="-1">
<header><span class="role">${m.role}</span><a class="permalink" href="#m-${m.id}">${timeTag(m.timestamp)}</a>${m.resourceUsage ? html`<span class="usage">${usageLine(m.resourceUsage)}</span>` : ''}</header>
${thinking ? html`<details class="thinking"><summary>Thinking</summary><div class="md">${renderMarkdown(thinking, options)}</div></details>` : ''}
${m.content.trim() ? html`<div class="md body">${renderMarkdown(m.content, options)}</div>` : ''}
${images(pics)}
${calls.length ? html`<div class="tools">${calls.map(toolCall)}</div>` : ''}
${results.length ? html`<div class="tool-results">${results.map(toolResult)}</div>` : ''}
</article>`;
}
