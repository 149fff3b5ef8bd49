/**
 * The thread map of a thread page: an SVG drawn on the server, the thread in the middle, where it
 * came from on the left (main thread, the thread it summarizes, continues or copies, threads that
 * mention it) and what was made of it on the right (sub-agents, summaries, handoffs, forks,
 * threads it mentions). Each node links to its thread's page; an edge about a message (a fork
 * point, a mention) links to that message. Each side is cut to {@link MAP_SIDE_CAP} nodes, the
 * rest counted in a "+N more" node. Every text goes through `html`, which escapes it.
 */
import type { EdgeRel, ThreadEdge } from '../model/links.js';
import type { ThreadID } from '../model/ids.js';
import type { ThreadInfo } from '../store/store.js';
import { formatCount } from './format.js';
import { html, type SafeHtml } from './html.js';

/** Most nodes drawn on one side of the map, a "+N more" node included (so at most 2 x 11 + 1 = 23 nodes). */
export const MAP_SIDE_CAP = 11;
/** Longest title drawn in a node, in characters (a longer one ends in "…"; the full title is the node's tooltip). */
export const MAP_TITLE_CHARS = 24;

/** What the map shows of a thread. */
export type MapThread = Pick<ThreadInfo, 'id' | 'title' | 'archived' | 'messageCount'>;

/** A neighbour as drawn: the thread (null: not in this store) and every edge joining it to the middle. */
export interface MapNeighbour {
  id: ThreadID;
  info: MapThread | null;
  edges: ThreadEdge[];
}

/** The map of one thread, each side already cut to the cap. */
export interface ThreadMap {
  centre: MapThread;
  sources: MapNeighbour[];
  targets: MapNeighbour[];
  /** Neighbours left out on each side (drawn as "+N more"). */
  moreSources: number;
  moreTargets: number;
}

/** Which side an edge's other thread sits on. */
export function sideOf(rel: EdgeRel): 'sources' | 'targets' {
  return rel === 'parent' || rel === 'summary-of' || rel === 'handoff-from' || rel === 'forked-from' || rel === 'mentioned-by' ? 'sources' : 'targets';
}

/** Edge labels, read from the neighbour towards the middle ("main thread of" this one...). */
const LABEL: Record<EdgeRel, string> = {
  parent: 'main thread',
  'summary-of': 'summary of',
  'handoff-from': 'handed off from',
  'forked-from': 'forked from',
  'mentioned-by': 'mentions this',
  subagent: 'sub-agent',
  summary: 'summary',
  handoff: 'handed off to',
  fork: 'fork',
  mentions: 'mentioned here',
};

/** Which neighbours come first on a side (and so are drawn when a side is cut): the few before the many. */
const ORDER: readonly EdgeRel[] = ['parent', 'summary-of', 'handoff-from', 'forked-from', 'handoff', 'fork', 'summary', 'subagent', 'mentioned-by', 'mentions'];

/**
 * The neighbours of `centreId` from its edges: those `visible` holds only (a thread the reader may
 * not see is left out entirely), one node per thread and side with all its edges, the rarer kinds
 * first (a handoff before a hundred sub-agents), each side cut so that it draws at most
 * {@link MAP_SIDE_CAP} nodes.
 */
export function planMap(centreId: ThreadID, edges: readonly ThreadEdge[], visible: ReadonlySet<string>, cap = MAP_SIDE_CAP): { sources: Omit<MapNeighbour, 'info'>[]; targets: Omit<MapNeighbour, 'info'>[]; moreSources: number; moreTargets: number } {
  const sides = { sources: new Map<ThreadID, ThreadEdge[]>(), targets: new Map<ThreadID, ThreadEdge[]>() };
  for (const e of edges) {
    if (e.threadId === centreId || !visible.has(e.threadId)) continue;
    const side = sides[sideOf(e.rel)];
    const list = side.get(e.threadId);
    if (list) list.push(e);
    else side.set(e.threadId, [e]);
  }
  const cut = (m: Map<ThreadID, ThreadEdge[]>) => {
    const rank = (es: ThreadEdge[]) => Math.min(...es.map((e) => ORDER.indexOf(e.rel)));
    // Stable: within a kind, the order the thread keeps them in.
    const all = [...m.entries()].map(([id, es]) => ({ id, edges: es })).sort((a, b) => rank(a.edges) - rank(b.edges));
    if (all.length <= cap) return { shown: all, more: 0 };
    return { shown: all.slice(0, cap - 1), more: all.length - (cap - 1) };
  };
  const s = cut(sides.sources);
  const t = cut(sides.targets);
  return { sources: s.shown, targets: t.shown, moreSources: s.more, moreTargets: t.more };
}

// Geometry (SVG user units; the viewer's column is about 950 px wide, so this draws at 1:1).
const WIDTH = 940;
const NODE_W = 205;
/** The straight end of an edge by a side node, where its label sits (edges curve only between). */
const RUN = 100;
const NODE_H = 40;
const ROW = 50;
const PAD = 8;
const LEFT_X = 0;
const MID_X = (WIDTH - NODE_W) / 2;
const RIGHT_X = WIDTH - NODE_W;

function clipText(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

/** A thread's title for the map: its own, or a stand-in from its id. */
function mapTitle(t: Pick<MapThread, 'id' | 'title'>): string {
  return t.title?.trim() || `untitled ${t.id.slice(0, 13)}`;
}

/** Where the message an edge concerns is shown: the page of the thread it belongs to. */
function messageHref(centreId: ThreadID, e: ThreadEdge): string | undefined {
  if (e.messageId === undefined) return undefined;
  // `fork` and `mentions` name a message of the middle thread; the others one of the neighbour.
  const owner = e.rel === 'fork' || e.rel === 'mentions' ? centreId : e.threadId;
  return `/t/${owner}#m-${encodeURIComponent(e.messageId)}`;
}

/** A node's text in a nested `<svg>` the size of the box, which clips whatever a wide font would push past its edge. */
function clip(x: number, y: number, body: SafeHtml): SafeHtml {
  return html`<svg x="${x}" y="${y}" width="${NODE_W - 6}" height="${NODE_H}">${body}</svg>`;
}

function nodeBox(t: MapThread | null, id: ThreadID, x: number, y: number, cls: string, where: string): SafeHtml {
  if (!t) {
    return html`<g class="map-node missing ${cls}"><title>${id} (not in this ${where})</title><rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6"></rect>${clip(x, y, html`<text x="10" y="17" class="map-title">${id.slice(0, 13)}…</text><text x="10" y="32" class="map-sub">not in this ${where}</text>`)}</g>`;
  }
  const title = mapTitle(t);
  const sub = `${formatCount(t.messageCount)} ${t.messageCount === 1 ? 'msg' : 'msgs'}${t.archived !== undefined ? ' · archived' : ''}`;
  return html`<a class="map-node ${cls}${t.archived !== undefined ? ' archived' : ''}" href="/t/${t.id}" data-id="${t.id}"><title>${title}${t.archived !== undefined ? ' (archived)' : ''}</title><rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6"></rect>${clip(x, y, html`<text x="10" y="17" class="map-title">${clipText(title, MAP_TITLE_CHARS)}</text><text x="10" y="32" class="map-sub">${sub}</text>`)}</a>`;
}

/** The "+N more" node: a link to the page that lists every linked thread of that side. */
function moreBox(centreId: ThreadID, side: 'sources' | 'targets', n: number, x: number, y: number): SafeHtml {
  return html`<a class="map-node more" href="/t/${centreId}/links#${side}"><title>${n} more linked threads: list them all</title><rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6"></rect><text x="${x + NODE_W / 2}" y="${y + 25}" text-anchor="middle" class="map-title">+${n} more</text></a>`;
}

/** The edge between a side node and the middle one, with its label (a link when it concerns a message). */
function edge(centreId: ThreadID, n: MapNeighbour, side: 'sources' | 'targets', y: number, cy: number): SafeHtml {
  const left = side === 'sources';
  const x1 = left ? LEFT_X + NODE_W : MID_X + NODE_W;
  const y1 = left ? y + NODE_H / 2 : cy;
  const x2 = left ? MID_X : RIGHT_X;
  const y2 = left ? cy : y + NODE_H / 2;
  // Sources: straight out of the node, then a curve; targets: a curve, then straight into the node.
  const [cx1, cx2] = left ? [x1 + RUN, x2] : [x1, x2 - RUN];
  const dx = (cx2 - cx1) / 2;
  const path = `M${x1} ${y1} H${cx1} C${cx1 + dx} ${y1} ${cx2 - dx} ${y2} ${cx2} ${y2} H${x2}`;
  const rels = [...new Set(n.edges.map((e) => e.rel))];
  const full = rels.map((r) => LABEL[r]).join(', ');
  const label = clipText(full, 18);
  const kinds = rels.join(' ');
  // The label sits by the side node, above its end of the edge (where edges do not crowd).
  const lx = left ? x1 + 6 : x2 - 6;
  const ly = (left ? y1 : y2) - 5;
  const text = html`<text x="${lx}" y="${ly}" class="map-label"${left ? '' : html` text-anchor="end"`}>${label}</text>`;
  const href = n.edges.map((e) => messageHref(centreId, e)).find((h) => h !== undefined);
  return html`<g class="map-edge" data-rel="${kinds}" data-to="${n.id}"><title>${full}</title><path d="${path}" marker-end="url(#map-arrow)"></path>${href ? html`<a class="map-edge-link" href="${href}"><title>${full}: open the message</title>${text}</a>` : text}</g>`;
}

/** The map as an `<svg>` (empty markup when the thread has no visible neighbour). `where`: "store" or "workspace". */
export function renderThreadMap(map: ThreadMap, where: string): SafeHtml {
  const nl = map.sources.length + (map.moreSources ? 1 : 0);
  const nr = map.targets.length + (map.moreTargets ? 1 : 0);
  if (nl + nr === 0) return html``;
  const rows = Math.max(nl, nr, 1);
  const height = rows * ROW - (ROW - NODE_H) + 2 * PAD;
  const cy = height / 2;
  const top = (n: number) => (height - (n * ROW - (ROW - NODE_H))) / 2;
  const parts: SafeHtml[] = [];
  const nodes: SafeHtml[] = [];
  for (const side of ['sources', 'targets'] as const) {
    const list = map[side];
    const more = side === 'sources' ? map.moreSources : map.moreTargets;
    const x = side === 'sources' ? LEFT_X : RIGHT_X;
    const y0 = top(list.length + (more ? 1 : 0));
    list.forEach((n, i) => {
      const y = y0 + i * ROW;
      parts.push(edge(map.centre.id, n, side, y, cy));
      nodes.push(nodeBox(n.info, n.id, x, y, side === 'sources' ? 'source' : 'target', where));
    });
    if (more) nodes.push(moreBox(map.centre.id, side, more, x, y0 + list.length * ROW));
  }
  nodes.push(nodeBox(map.centre, map.centre.id, MID_X, cy - NODE_H / 2, 'centre', where));
  const count = map.sources.length + map.targets.length + map.moreSources + map.moreTargets;
  return html`<svg class="thread-map" id="thread-map" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="group" aria-labelledby="thread-map-title" xmlns="http://www.w3.org/2000/svg"><title id="thread-map-title">Thread map: ${mapTitle(map.centre)} and ${count} linked ${count === 1 ? 'thread' : 'threads'}</title>
<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="map-arrowhead"></path></marker></defs>
${parts}${nodes}</svg>`;
}

/** Headings of the linked-threads page's two lists. */
const SIDE_HEADING = { sources: 'Where it came from', targets: 'What was made of it' } as const;

/** Most threads listed on one side of the linked-threads page (each is a head read). */
export const LINKS_PAGE_CAP = 1000;

/**
 * Every linked thread of a map (the page the "+N more" nodes open, cut at {@link LINKS_PAGE_CAP}
 * a side, the rest counted): one list per side,
 * each thread with its edge labels; a thread this store lacks is named, not linked.
 */
export function renderLinkedLists(map: ThreadMap, where: string): SafeHtml {
  const item = (n: MapNeighbour) => {
    const labels = [...new Set(n.edges.map((e) => LABEL[e.rel]))].join(', ');
    const name = n.info ? html`<a href="/t/${n.id}">${mapTitle(n.info)}</a> <span class="muted">${formatCount(n.info.messageCount)} ${n.info.messageCount === 1 ? 'msg' : 'msgs'}${n.info.archived !== undefined ? ' · archived' : ''}</span>` : html`<code>${n.id}</code> <span class="muted">(not in this ${where})</span>`;
    return html`<li data-id="${n.id}"><span class="badge">${labels}</span> ${name}</li>`;
  };
  return html`${(['sources', 'targets'] as const).map((side) => {
    const more = side === 'sources' ? map.moreSources : map.moreTargets;
    const list = map[side];
    return html`<section class="linked" id="${side}"><h2>${SIDE_HEADING[side]} (${formatCount(list.length + more)})</h2>${list.length ? html`<ul class="relations">${list.map(item)}</ul>` : html`<p class="muted">None.</p>`}${more ? html`<p class="muted">and ${formatCount(more)} more, not listed.</p>` : ''}</section>`;
  })}`;
}
