/**
 * The thread map without a browser: which threads become nodes and on which side, the cap and its
 * "+N more" node, links on nodes and on edges about a message, escaped titles, threads the reader
 * may not see left out (ids and all); then the map of a real SQLite store gathered as the thread
 * page gathers it (sub-agent, summary, handoff, fork, mentions both ways, archived).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newThreadId, openStore, type Store, type ThreadID } from '../../src/index.js';
import { threadEdges, type ThreadEdge } from '../../src/model/links.js';
import { MAP_SIDE_CAP, MAP_TITLE_CHARS, planMap, renderLinkedLists, renderThreadMap, type MapThread, type ThreadMap } from '../../src/viewer/thread-map.js';
import { loadThreadMap, MENTION_SCAN } from '../../src/viewer/thread-data.js';

const ids = (n: number): ThreadID[] => Array.from({ length: n }, () => newThreadId());
const thread = (id: ThreadID, title?: string, extra: Partial<MapThread> = {}): MapThread => ({ id, messageCount: 3, ...(title !== undefined && { title }), ...extra });

/** A map whose neighbours are the given edges, all visible, each thread titled by its rel. */
function mapOf(centre: MapThread, edges: ThreadEdge[], visible = new Set(edges.map((e) => e.threadId)), cap?: number): ThreadMap {
  const plan = planMap(centre.id, edges, visible, cap);
  const info = (n: { id: ThreadID; edges: ThreadEdge[] }) => ({ ...n, info: thread(n.id, `${n.edges[0]!.rel} thread`) });
  return { centre, sources: plan.sources.map(info), targets: plan.targets.map(info), moreSources: plan.moreSources, moreTargets: plan.moreTargets };
}

function nodeHrefs(svg: string): string[] {
  return [...svg.matchAll(/<a class="map-node[^"]*" href="([^"]+)"/g)].map((m) => m[1]!);
}

describe('thread map: layout and markup', () => {
  test('every kind of edge: sources left, made-of-it right, each node a link, edges labelled', () => {
    const [c, parent, origin, from, forkSrc, mentioner, child, summary, next, fork, named] = ids(11) as [ThreadID, ...ThreadID[]];
    const edges: ThreadEdge[] = [
      { rel: 'parent', threadId: parent! },
      { rel: 'summary-of', threadId: origin! },
      { rel: 'handoff-from', threadId: from! },
      { rel: 'forked-from', threadId: forkSrc!, messageId: 'msg-at' },
      { rel: 'mentioned-by', threadId: mentioner!, messageId: 'msg-m' },
      { rel: 'subagent', threadId: child! },
      { rel: 'summary', threadId: summary! },
      { rel: 'handoff', threadId: next! },
      { rel: 'fork', threadId: fork!, messageId: 'msg-f' },
      { rel: 'mentions', threadId: named!, messageId: 'msg-out' },
    ];
    const map = mapOf(thread(c, 'The middle'), edges);
    assert.deepEqual(map.sources.map((n) => n.id), [parent, origin, from, forkSrc, mentioner]);
    // The few before the many: handoffs and forks, then summaries and sub-agents, mentions last.
    assert.deepEqual(map.targets.map((n) => n.id), [next, fork, summary, child, named]);
    const svg = renderThreadMap(map, 'store').value;
    assert.match(svg, /^<svg class="thread-map"/);
    assert.deepEqual(nodeHrefs(svg).sort(), [c, ...edges.map((e) => e.threadId)].map((x) => `/t/${x}`).sort());
    for (const label of ['main thread', 'summary of', 'handed off from', 'forked from', 'mentions this', 'sub-agent', 'summary', 'handed off to', 'fork', 'mentioned here'])
      assert.match(svg, new RegExp(`class="map-label"[^>]*>${label}</text>`), label);
    // An edge about a message links to it, on the page of the thread that holds the message.
    assert.match(svg, new RegExp(`href="/t/${forkSrc}#m-msg-at"`));
    assert.match(svg, new RegExp(`href="/t/${mentioner}#m-msg-m"`));
    assert.match(svg, new RegExp(`href="/t/${c}#m-msg-f"`));
    assert.match(svg, new RegExp(`href="/t/${c}#m-msg-out"`));
    assert.equal([...svg.matchAll(/class="map-edge-link"/g)].length, 4, 'only edges about a message are links');
  });

  test('a thread linked twice on one side is one node with both labels', () => {
    const [c, other] = ids(2) as [ThreadID, ThreadID];
    const map = mapOf(thread(c), [
      { rel: 'fork', threadId: other, messageId: 'm1' },
      { rel: 'mentions', threadId: other, messageId: 'm2' },
    ]);
    assert.equal(map.targets.length, 1);
    const svg = renderThreadMap(map, 'store').value;
    assert.match(svg, /<title>fork, mentioned here<\/title>/, 'both labels in the tooltip');
    assert.match(svg, />fork, mentioned h…<\/text>/, 'the drawn label is cut to fit');
    assert.match(svg, /data-rel="fork mentions"/);
  });

  test('each side is cut to the cap with a "+N more" node; long titles end in an ellipsis', () => {
    const c = newThreadId();
    const many = ids(40);
    const next = newThreadId();
    const edges: ThreadEdge[] = [
      ...many.slice(0, 29).map((threadId) => ({ rel: 'subagent' as const, threadId })),
      { rel: 'handoff', threadId: next },
      ...many.slice(30).map((threadId) => ({ rel: 'mentioned-by' as const, threadId, messageId: 'x' })),
    ];
    const map = mapOf(thread(c, 'x'.repeat(200)), edges);
    assert.equal(map.targets.length, MAP_SIDE_CAP - 1);
    assert.equal(map.moreTargets, 30 - (MAP_SIDE_CAP - 1));
    assert.equal(map.targets[0]!.id, next, 'the one handoff is drawn ahead of the many sub-agents');
    assert.equal(map.sources.length, 10);
    assert.equal(map.moreSources, 0);
    const svg = renderThreadMap(map, 'store').value;
    assert.match(svg, new RegExp(`>\\+${30 - (MAP_SIDE_CAP - 1)} more<`));
    assert.ok(svg.includes(`<a class="map-node more" href="/t/${c}/links#targets">`), '"+N more" links to the list of them all');
    assert.ok([...svg.matchAll(/class="map-node/g)].length <= 2 * MAP_SIDE_CAP + 1, 'nodes drawn are bounded');
    const shown = /class="map-node centre"[\s\S]*?class="map-title">([^<]*)</.exec(svg)![1]!;
    assert.equal([...shown].length, MAP_TITLE_CHARS);
    assert.ok(shown.endsWith('…'));
    assert.ok(svg.includes(`<title>${'x'.repeat(200)}</title>`), 'the whole title is the tooltip');
  });

  test('the linked-threads page lists each side with its labels, cut at its own cap and counted', () => {
    const c = newThreadId();
    const subs = ids(7);
    const from = newThreadId();
    const edges: ThreadEdge[] = [{ rel: 'handoff-from', threadId: from }, ...subs.map((threadId) => ({ rel: 'subagent' as const, threadId })), { rel: 'mentioned-by', threadId: from, messageId: 'm' }];
    const page = renderLinkedLists(mapOf(thread(c, 'centre'), edges, undefined, 5), 'store').value;
    const listed = (side: string) => [...(new RegExp(`id="${side}"[\\s\\S]*?</section>`).exec(page)?.[0] ?? '').matchAll(/<li data-id="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(listed('sources'), [from]);
    assert.match(page, /handed off from, mentions this/);
    assert.deepEqual(listed('targets'), subs.slice(0, 4));
    assert.match(page, /What was made of it \(7\)/);
    assert.match(page, /and 3 more, not listed/);
    assert.ok(page.includes(`<a href="/t/${subs[0]}">subagent thread</a>`));
  });

  test('titles are text: script, quotes and angle brackets come out escaped', () => {
    const [c, child] = ids(2) as [ThreadID, ThreadID];
    const hostile = `<script>alert(1)</script> "quoted" 'single' & </text><a href="javascript:alert(2)">`;
    const plan = planMap(c, [{ rel: 'subagent', threadId: child }], new Set([child]));
    const map: ThreadMap = { centre: thread(c, hostile), sources: [], targets: plan.targets.map((n) => ({ ...n, info: thread(child, hostile) })), moreSources: 0, moreTargets: 0 };
    const svg = renderThreadMap(map, 'store').value;
    assert.doesNotMatch(svg, /<script/i);
    assert.doesNotMatch(svg, /href="javascript:/i);
    assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &#39;single&#39; &amp; &lt;/text&gt;'));
    assert.equal([...svg.matchAll(/<\/text>/g)].length, [...svg.matchAll(/<text /g)].length, 'no text element closed early');
  });

  test('threads the reader may not see are left out, ids and all; no neighbour draws no map', () => {
    const [c, secret, open] = ids(3) as [ThreadID, ThreadID, ThreadID];
    const edges: ThreadEdge[] = [
      { rel: 'mentioned-by', threadId: secret, messageId: 'm-secret' },
      { rel: 'subagent', threadId: secret },
      { rel: 'summary', threadId: open },
    ];
    const map = mapOf(thread(c), edges, new Set([open]));
    const svg = renderThreadMap(map, 'workspace').value;
    assert.ok(!svg.includes(secret), 'the hidden id appears nowhere');
    assert.ok(!svg.includes('m-secret'));
    assert.deepEqual(nodeHrefs(svg).sort(), [`/t/${c}`, `/t/${open}`].sort());
    assert.equal(renderThreadMap(mapOf(thread(c), edges, new Set()), 'workspace').value, '');
  });

  test('archived neighbours are marked; one not in this store is named, not linked', () => {
    const [c, old, gone] = ids(3) as [ThreadID, ThreadID, ThreadID];
    const map: ThreadMap = {
      centre: thread(c, 'middle'),
      sources: [{ id: old, info: thread(old, 'old work', { archived: 1 }), edges: [{ rel: 'handoff-from', threadId: old }] }],
      targets: [{ id: gone, info: null, edges: [{ rel: 'subagent', threadId: gone }] }],
      moreSources: 0,
      moreTargets: 0,
    };
    const svg = renderThreadMap(map, 'workspace').value;
    assert.match(svg, new RegExp(`<a class="map-node source archived" href="/t/${old}"`));
    assert.match(svg, /3 msgs · archived/);
    assert.match(svg, /not in this workspace/);
    assert.ok(!svg.includes(`href="/t/${gone}"`));
  });
});

describe('thread map: gathered from a SQLite store', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-thread-map-'));
    store = await openStore({ dir: join(dir, 'store'), durability: 'normal' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const idOf = (r: { ops: unknown[] }) => (r.ops[0] as { message: { id: string } }).message.id;

  test('sub-agent, summary, handoff, fork, mentions both ways; hidden ones left out', async () => {
    const main = await store.createThread({ title: 'Main' });
    const first = idOf(await store.append(main.id, { type: 'user:message', message: { content: 'start' } }));
    const child = await store.spawnSubAgentThread(main.id, 'a task');
    const summary = await store.createSummaryThread(main.id, 'what happened');
    const next = await store.handoff(main.id, { goal: 'carry on' });
    const fork = await store.fork(main.id, { atMessageId: first });
    const talker = await store.createThread({ title: 'Talker' });
    const said = idOf(await store.append(talker.id, { type: 'user:message', message: { content: `see @${main.id} for context` } }));
    const named = await store.createThread({ title: 'Named' });
    const out = idOf(await store.append(main.id, { type: 'assistant:message', message: { content: `compare with ${named.id}; ${newThreadId()} is only text` } }));

    const head = (await store.info(main.id))!;
    assert.deepEqual(threadEdges(head).map((e) => e.rel).sort(), ['fork', 'handoff', 'mentioned-by', 'subagent', 'summary']);
    const all = async (xs: readonly string[]) => new Set(xs);
    const map = await loadThreadMap(store, head, all);
    const side = (list: ThreadMap['sources']) => list.map((n) => [n.id, n.edges.map((e) => `${e.rel}${e.messageId ? ` ${e.messageId}` : ''}`)]);
    assert.deepEqual(side(map.sources), [[talker.id, [`mentioned-by ${said}`]]]);
    assert.deepEqual(side(map.targets), [
      [next.id, ['handoff']],
      [fork.id, [`fork ${first}`]],
      [summary.id, ['summary']],
      [child.id, ['subagent']],
      [named.id, [`mentions ${out}`]],
    ]);
    assert.equal(map.targets[3]!.info?.title, undefined, 'the sub-agent has no title: drawn by its id');

    // Seen from the others, the main thread is where they came from.
    for (const [t, rel] of [[fork, 'forked-from'], [child, 'parent'], [summary, 'summary-of'], [next, 'handoff-from']] as const) {
      const m = await loadThreadMap(store, (await store.info(t.id))!, all);
      assert.deepEqual(m.sources.map((n) => [n.id, n.edges.map((e) => e.rel)]), [[main.id, [rel]]], rel);
    }
    const fromTalker = await loadThreadMap(store, (await store.info(talker.id))!, all);
    assert.deepEqual(side(fromTalker.targets), [[main.id, [`mentions ${said}`]]]);

    // A reader who may not see the talker and the sub-agent gets a map without them.
    const hidden = new Set<string>([talker.id, child.id]);
    const seen = await loadThreadMap(store, head, async (xs) => new Set(xs.filter((x) => !hidden.has(x))));
    const svg = renderThreadMap(seen, 'workspace').value;
    for (const id of hidden) assert.ok(!svg.includes(id), `${id} not drawn`);
    assert.ok(svg.includes(`/t/${summary.id}`));
  });

  test('a long thread: mentions in its first and newest messages are found without reading it whole', async () => {
    const [early, middle, late] = [await store.createThread({ title: 'early' }), await store.createThread({ title: 'middle' }), await store.createThread({ title: 'late' })];
    const long = await store.createThread({ title: 'long' });
    const say = (content: string) => ({ type: 'user:message' as const, message: { content } });
    const n = 3 * MENTION_SCAN;
    await store.append(long.id, [say(`from ${early.id}`), ...Array.from({ length: n }, (_, i) => say(i === n / 2 ? `about ${middle.id}` : `line ${i}`)), say(`now ${late.id}`)]);
    const map = await loadThreadMap(store, (await store.info(long.id))!, async (xs) => new Set(xs));
    // The middle of a long thread is not read: its mention shows on the other thread's map only.
    assert.deepEqual(map.targets.map((x) => x.id).sort(), [early.id, late.id].sort());
    const fromMiddle = await loadThreadMap(store, (await store.info(middle.id))!, async (xs) => new Set(xs));
    assert.deepEqual(fromMiddle.sources.map((x) => x.id), [long.id]);
  });

  test('an archived neighbour is drawn marked, and an archived thread still has its map', async () => {
    const old = await store.createThread({ title: 'Old work' });
    await store.append(old.id, { type: 'user:message', message: { content: 'done long ago' } });
    const next = await store.handoff(old.id, { goal: 'the rest' });
    // Inactive means a last write strictly before now: let the clock move past it.
    await new Promise((r) => setTimeout(r, 5));
    const r = await store.archiveInactiveThreads({ olderThanMs: 0 });
    assert.ok(r.archived.includes(old.id) && r.archived.includes(next.id), JSON.stringify(r));
    const map = await loadThreadMap(store, (await store.info(next.id))!, async (xs) => new Set(xs));
    assert.equal(map.sources[0]!.id, old.id);
    assert.match(renderThreadMap(map, 'store').value, new RegExp(`<a class="map-node source archived" href="/t/${old.id}"`));
  });
});
