/**
 * Message text to HTML, safely: markdown-it with raw HTML off (a `<script>` or an `onerror`
 * attribute in a message comes out as text), its default link check (no `javascript:` or
 * `data:` links), and code blocks highlighted on the server by highlight.js, so the page needs
 * no highlighter script. Links open in a new tab without access to the viewer (`noopener`).
 */
import { createRequire } from 'node:module';
import markdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { mentionSpans } from '../model/links.js';
import { escapeHtml, trusted, type SafeHtml } from './html.js';

/** The part of highlight.js the viewer uses (its own type declarations pull in the DOM's globals). */
interface Highlighter {
  getLanguage(name: string): object | undefined;
  highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

const hljs = createRequire(import.meta.url)('highlight.js/lib/common') as Highlighter;

/** Code blocks longer than this are shown plain: highlighting them would cost more than it helps. */
const MAX_HIGHLIGHT = 100_000;

/** Highlighted HTML for code in `lang` (guessed when unknown or absent; plain when long). */
export function highlightCode(code: string, lang?: string): string {
  if (code.length > MAX_HIGHLIGHT) return escapeHtml(code);
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    return escapeHtml(code);
  } catch {
    return escapeHtml(code);
  }
}

const md = markdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight: (code, lang) => {
    const name = lang.trim().split(/\s+/)[0] ?? '';
    return `<pre class="code"><code class="hljs${name ? ` language-${escapeHtml(name)}` : ''}">${highlightCode(code, name)}</code></pre>`;
  },
});

/** How a message's text is rendered: `threadLinks` makes every `T-<id>` it names a link to that thread's page. */
export interface MarkdownOptions {
  threadLinks: boolean;
}

// A thread id named in text (as mentions are detected: `T-<uuid>` or `@T-<uuid>`) becomes a link
// to its page, outside code and outside links the text already makes.
md.core.ruler.push('thread_links', (state) => {
  if (!(state.env as Partial<MarkdownOptions> | undefined)?.threadLinks) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const out: Token[] = [];
    let depth = 0;
    for (const t of block.children) {
      if (t.type === 'link_open') depth++;
      else if (t.type === 'link_close') depth--;
      const spans = t.type === 'text' && depth === 0 ? mentionSpans(t.content) : [];
      if (spans.length === 0) {
        out.push(t);
        continue;
      }
      let at = 0;
      const text = (content: string) => Object.assign(new state.Token('text', '', 0), { content });
      for (const span of spans) {
        if (span.index > at) out.push(text(t.content.slice(at, span.index)));
        const open = new state.Token('link_open', 'a', 1);
        open.attrs = [['href', `/t/${span.threadId}`], ['class', 'thread-ref']];
        open.meta = { thread: true };
        out.push(open, text(t.content.slice(span.index, span.index + span.length)), new state.Token('link_close', 'a', -1));
        at = span.index + span.length;
      }
      if (at < t.content.length) out.push(text(t.content.slice(at)));
    }
    block.children = out;
  }
});

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  // A link to another thread of this viewer opens in place, like every link of the viewer's own.
  if ((token.meta as { thread?: boolean } | null)?.thread) return defaultLinkOpen(tokens, idx, options, env, self);
  token.attrSet('rel', 'noopener noreferrer nofollow');
  token.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};
// Images in a message would load from the network (the viewer works offline and leaks nothing):
// shown as their link instead.
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  return `<a class="md-image" href="${escapeHtml(src)}" rel="noopener noreferrer nofollow" target="_blank">[image: ${escapeHtml(token.content || src)}]</a>`;
};

/** Markdown text as safe HTML. */
export function renderMarkdown(text: string, options: MarkdownOptions = { threadLinks: false }): SafeHtml {
  return trusted(md.render(text, { ...options }));
}
