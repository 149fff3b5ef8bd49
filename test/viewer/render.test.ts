/**
 * The viewer's rendering, without a browser: markdown and every place a caller's text reaches a
 * page come out escaped (no element, attribute or link a message could smuggle in), tool calls and
 * results carry what the page script pairs them by, and images are inline data of known types only.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { html, escapeHtml } from '../../src/viewer/html.js';
import { renderMarkdown } from '../../src/viewer/markdown.js';
import { imageUrl, renderMessage, thinkingText } from '../../src/viewer/message.js';
import { renderRow, renderSharedThread, titleOf } from '../../src/viewer/pages.js';
import { newThreadId, type Message, type Thread } from '../../src/index.js';

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror="alert(2)">',
  '<a href="javascript:alert(3)">x</a>',
  '[click](javascript:alert(4))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)',
  '<svg onload="alert(6)"></svg>',
  '<iframe src="https://example.com"></iframe>',
  '![pic](https://example.com/tracker.png)',
  '"><script>alert(7)</script>',
].join('\n\n');

/** Elements and attributes that must never appear in rendered output made from caller text. */
function assertInert(out: string): void {
  assert.doesNotMatch(out, /<script/i, 'no script element');
  assert.doesNotMatch(out, /<(img|svg|iframe)\b/i, 'no img, svg or iframe element from text');
  // Escaped text holds `&lt;img onerror=...`; only real tags (a `<` and a name) count.
  assert.doesNotMatch(out, /<[a-z][^>]*\son[a-z]+\s*=/i, 'no event handler attribute');
  assert.doesNotMatch(out, /<a\b[^>]*href="\s*(javascript|data:text)/i, 'no script or html link');
}

function message(fields: Partial<Message>): Message {
  return { id: 'm1', role: 'assistant', content: '', timestamp: 1_700_000_000_000, ...fields };
}

describe('viewer rendering', () => {
  test('markdown renders formatting and code, but raw HTML and script links come out as text', () => {
    const out = renderMarkdown(`**bold** and \`code\`\n\n\`\`\`ts\nconst x: number = 1;\n\`\`\`\n\n${HOSTILE}`).value;
    assert.match(out, /<strong>bold<\/strong>/);
    assert.match(out, /<span class="hljs-keyword">const<\/span>/);
    assertInert(out);
    assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(out, /&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt;/);
    // A markdown image is a link to it, never loaded.
    assert.match(out, /<a class="md-image" href="https:\/\/example.com\/tracker.png"/);
  });

  test('a message escapes its text, thinking, tool names, inputs and outputs', () => {
    const out = renderMessage(
      message({
        content: HOSTILE,
        thinking: HOSTILE,
        toolCalls: [{ id: 'c"1<', name: '<img src=x onerror=alert(8)>', input: { html: '<script>alert(9)</script>' } }],
        toolResults: [{ toolCallId: 'c"1<', output: '<img src=x onerror=alert(10)>', isError: true }],
        resourceUsage: { model: '<script>alert(11)</script>', costUSD: 0.5 },
      }),
      { threadLinks: true },
    ).value;
    assertInert(out);
    assert.match(out, /data-call="c&quot;1&lt;"/);
    assert.match(out, /<div class="tool-result is-error" data-for="c&quot;1&lt;">/);
    assert.match(out, /&lt;script&gt;alert\(11\)&lt;\/script&gt;/);
  });

  test('a shared thread is the viewer rendering, escaped, with no script, form or link into the workspace', () => {
    const id = newThreadId();
    const out = renderSharedThread({ id, v: 2, created: 1, title: HOSTILE, messages: [message({ content: HOSTILE })], childThreadIDs: [], summaryThreadIDs: [], clock: {} as Thread['clock'] }).value;
    const body = out.slice(out.indexOf('<body'));
    assertInert(body);
    assert.doesNotMatch(out, /<script|<form/);
    assert.match(out, /<article class="msg role-assistant"/);
    assert.match(out, /<link rel="stylesheet" href="\/ui\/assets\/style\.css/);
    assert.doesNotMatch(out, /href="\/t\//);
  });

  test('thread ids a message names link to their pages, outside code and existing links, only where asked', () => {
    const a = newThreadId();
    const b = newThreadId();
    const text = `See ${a} and @${b}; not \`${a}\` nor [that](https://example.com/${a}) nor x${a}.`;
    const out = renderMessage(message({ content: text }), { threadLinks: true }).value;
    assert.equal(out.match(/<a href="\/t\/T-[^"]+" class="thread-ref">/g)?.length, 2);
    assert.match(out, new RegExp(`<a href="/t/${a}" class="thread-ref">${a}</a> and <a href="/t/${b}" class="thread-ref">@${b}</a>`));
    assert.match(out, new RegExp(`<code>${a}</code>`));
    assert.doesNotMatch(out, /class="thread-ref"[^>]*target=/, 'a thread link opens in the viewer itself');
    const plain = renderMessage(message({ content: text }), { threadLinks: false }).value;
    assert.doesNotMatch(plain, /thread-ref/);
    assertInert(renderMessage(message({ content: `${HOSTILE} ${a} ${HOSTILE}` }), { threadLinks: true }).value);
  });

  test('a message id cannot break out of its attributes', () => {
    const out = renderMessage(message({ id: '"><script>alert(12)</script>', content: 'hi' }), { threadLinks: true }).value;
    assertInert(out);
    assert.match(out, /id="m-&quot;&gt;&lt;script&gt;/);
  });

  test('a message with only tool results is marked so the page can fold it into the call', () => {
    const out = renderMessage(message({ role: 'user', toolResults: [{ toolCallId: 'c1', output: 'ok' }] }), { threadLinks: true }).value;
    assert.match(out, /class="msg role-user only-results"/);
    const withText = renderMessage(message({ role: 'user', content: 'and also', toolResults: [{ toolCallId: 'c1', output: 'ok' }] }), { threadLinks: true }).value;
    assert.doesNotMatch(withText, /only-results/);
  });

  test('images: inline png/jpeg/gif/webp data only', () => {
    const png = 'iVBORw0KGgo=';
    assert.equal(imageUrl({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }), `data:image/png;base64,${png}`);
    assert.equal(imageUrl({ mimeType: 'image/webp', data: png }), `data:image/webp;base64,${png}`);
    assert.equal(imageUrl(`data:image/jpeg;base64,${png}`), `data:image/jpeg;base64,${png}`);
    assert.equal(imageUrl({ media_type: 'image/svg+xml', data: png }), undefined, 'svg can carry script');
    assert.equal(imageUrl({ media_type: 'image/png', data: '"><script>' }), undefined);
    assert.equal(imageUrl('https://example.com/a.png'), undefined, 'nothing from the network');
    assert.equal(imageUrl('javascript:alert(1)'), undefined);
    const out = renderMessage(message({ images: [{ media_type: 'image/png', data: png }, { media_type: 'text/html', data: png }] }), { threadLinks: true }).value;
    assert.equal(out.match(/<img /g)?.length, 1);
  });

  test('thinking in the shapes agents write it', () => {
    assert.equal(thinkingText('plain'), 'plain');
    assert.equal(thinkingText([{ type: 'thinking', thinking: 'a' }, { text: 'b' }]), 'a\n\nb');
    assert.equal(thinkingText({ summary: [{ type: 'summary_text', text: 'c' }] }), 'c');
    assert.equal(thinkingText(42), '');
  });

  test('the html template escapes values and keeps safe HTML; a list row escapes the title', () => {
    assert.equal(html`<p title="${'"x"'}">${'<b>'}${html`<i>ok</i>`}${[1, ' & ', 2]}${undefined}</p>`.value, '<p title="&quot;x&quot;">&lt;b&gt;<i>ok</i>1 &amp; 2</p>');
    assert.equal(escapeHtml(`'`), '&#39;');
    const info = { id: 'T-01a22c80-c9d5-7000-a6ad-3f0d26a4f572', v: 1, created: 0, updated: 0, messageCount: 1, childThreadIDs: [], summaryThreadIDs: [], title: '<script>alert(13)</script>' } as const;
    const row = renderRow({ info: info as never, kind: 'main', agent: '<b>agent</b>', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0, threads: 1, byModel: {} } }).value;
    assertInert(row);
    assert.match(row, /&lt;b&gt;agent&lt;\/b&gt;/);
    assert.equal(titleOf({ id: info.id, title: '  ' }), `untitled ${info.id.slice(0, 13)}`);
  });
});
