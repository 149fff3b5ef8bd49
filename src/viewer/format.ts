/**
 * Small formatters the viewer's pages share: costs, token counts, absolute times (the client
 * script turns them into relative ones) and short previews of tool inputs.
 */
import { html, type SafeHtml } from './html.js';

/** A cost in US dollars: cents for large sums, more digits for small ones. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(4)}`;
}

/** A count with thousands separators (1,234). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A `<time>` the client script shows relative to now ("3 min ago"); absolute (UTC) without it. */
export function timeTag(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" data-ts="${ms}" title="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A one-line preview of a value (a tool input): its first string field, else its JSON, cut at `max`. */
export function preview(value: unknown, max = 80): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    const first = Object.entries(value).find(([, v]) => typeof v === 'string');
    text = first ? `${first[0]}: ${first[1] as string}` : safeJson(value);
  } else text = safeJson(value);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** JSON for display (two-space indent); never throws. */
export function safeJson(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Text cut to `max` characters with a note of what was left out. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${formatCount(text.length - max)} more characters)` : text;
}
