/**
 * The file changes of a thread: each record's path, kind, operation and rollback state, with a
 * unified diff of its before and after contents (read by hash through `store.files.content`).
 */
import { structuredPatch } from 'diff';
import type { Store } from '../store/store.js';
import type { FileChangeRecord } from '../files/record-store.js';
import { formatCount, timeTag } from './format.js';
import { html, type SafeHtml } from './html.js';

/** Changes shown in full on one page; the rest are listed without their diff. */
const MAX_DIFFS = 100;
/** Larger contents are not diffed (a note says so). */
const MAX_DIFF_BYTES = 256 * 1024;

async function text(store: Store, hash: string | undefined): Promise<string | undefined> {
  if (hash === undefined) return '';
  const bytes = await store.files.content(hash);
  if (bytes.length > MAX_DIFF_BYTES || bytes.includes(0)) return undefined;
  return bytes.toString('utf8');
}

async function diff(store: Store, r: FileChangeRecord): Promise<SafeHtml> {
  let before: string | undefined;
  let after: string | undefined;
  try {
    before = await text(store, r.before);
    after = await text(store, r.after);
  } catch (err) {
    return html`<p class="note">content unavailable: ${(err as Error).message}</p>`;
  }
  if (before === undefined || after === undefined) return html`<p class="note">binary or large content: no diff shown</p>`;
  const patch = structuredPatch(r.path, r.path, before, after, '', '', { context: 3 });
  if (patch.hunks.length === 0) return html`<p class="note">no change in content</p>`;
  const lines = patch.hunks.flatMap((h) => [
    html`<span class="hunk">@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@</span>`,
    ...h.lines.map((l) => html`<span class="${l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : 'ctx'}">${l}</span>`),
  ]);
  return html`<pre class="diff">${lines}</pre>`;
}

/** The file changes section of a thread page (empty when there are none). */
export async function renderFileChanges(store: Store, records: FileChangeRecord[]): Promise<SafeHtml> {
  if (records.length === 0) return html``;
  const items: SafeHtml[] = [];
  for (const [i, r] of records.entries()) {
    const state = r.reverted !== undefined ? html`<span class="badge reverted">rolled back ${timeTag(r.reverted)}</span>` : html`<span class="badge applied">applied</span>`;
    items.push(html`<details class="file-change" id="f-${r.seq}">
<summary><span class="badge ${r.type}">${r.type}</span> <code>${r.path}</code> ${state} <span class="muted">op ${r.operationId} · v${r.threadV} · ${timeTag(r.timestamp)}</span></summary>
${i < MAX_DIFFS ? await diff(store, r) : html`<p class="note">diff not shown (more than ${MAX_DIFFS} changes)</p>`}
</details>`);
  }
  return html`<section class="files"><h2>File changes <span class="muted">${formatCount(records.length)}</span></h2>${items}</section>`;
}
