import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, SkeinError, newThreadId, type Delta, type Store, type ThreadID } from '../../src/index.js';
import { KINDS, storeState, withStore } from '../helpers/store-fixtures.js';

type Call = [label: string, code: ErrorCode, run: (s: Store, ids: { main: ThreadID; child: ThreadID; ghost: ThreadID; msg: string }) => Promise<unknown>];

const msg = (message: unknown): Delta => ({ type: 'user:message', message }) as Delta;
const any = <T>(x: unknown) => x as T;
// A plain object that really has an own `__proto__` key, as JSON.parse makes it.
const protoKey = (value: unknown) => JSON.parse(`{"__proto__": ${JSON.stringify(value)}}`) as Record<string, unknown>;

const V = ErrorCode.VALIDATION;
const NF = ErrorCode.NOT_FOUND;

/** Every boundary of the Store API, fed something it must refuse. */
const CALLS: Call[] = [
  // Deltas
  ['unknown op type', V, (s, t) => s.append(t.main, any({ type: 'user:edit', message: { content: 'x' } }))],
  ['delta that is a string', V, (s, t) => s.append(t.main, any('hello'))],
  ['delta that is null', V, (s, t) => s.append(t.main, any(null))],
  ['empty delta array', V, (s, t) => s.append(t.main, [])],
  ['content not a string', V, (s, t) => s.append(t.main, msg({ content: 42 }))],
  ['content missing', V, (s, t) => s.append(t.main, msg({}))],
  ['timestamp not a number', V, (s, t) => s.append(t.main, msg({ content: 'x', timestamp: '2024-01-01' }))],
  ['timestamp NaN', V, (s, t) => s.append(t.main, msg({ content: 'x', timestamp: Number.NaN }))],
  ['tool call without name', V, (s, t) => s.append(t.main, msg({ content: '', toolCalls: [{ id: 'c1', input: {} }] }))],
  ['tool call id not a string', V, (s, t) => s.append(t.main, msg({ content: '', toolCalls: [{ id: 7, name: 'x', input: {} }] }))],
  ['tool calls not an array', V, (s, t) => s.append(t.main, msg({ content: '', toolCalls: { id: 'c1', name: 'x', input: {} } }))],
  ['duplicate tool call ids', V, (s, t) => s.append(t.main, msg({ content: '', toolCalls: [{ id: 'c', name: 'a', input: 1 }, { id: 'c', name: 'b', input: 2 }] }))],
  ['tool result without toolCallId', V, (s, t) => s.append(t.main, msg({ content: '', toolResults: [{ output: 'x' }] }))],
  ['tool input not JSON', V, (s, t) => s.append(t.main, msg({ content: '', toolCalls: [{ id: 'c1', name: 'x', input: { f: () => 1 } }] }))],
  ['usage tokens negative', V, (s, t) => s.append(t.main, msg({ content: 'x', resourceUsage: { inputTokens: -1 } }))],
  ['usage tokens a string', V, (s, t) => s.append(t.main, msg({ content: 'x', resourceUsage: { outputTokens: '10' } }))],
  ['usage cost infinite', V, (s, t) => s.append(t.main, msg({ content: 'x', resourceUsage: { costUSD: Infinity } }))],
  ['usage unknown field', V, (s, t) => s.append(t.main, msg({ content: 'x', resourceUsage: { tokens: 1 } }))],
  ['message sets its own key', V, (s, t) => s.append(t.main, msg({ content: 'x', key: 'zzz' }))],
  ['message sets its own role', V, (s, t) => s.append(t.main, msg({ content: 'x', role: 'system' }))],
  ['message extra field __proto__', V, (s, t) => s.append(t.main, msg({ content: 'x', ...protoKey({ polluted: true }) }))],
  ['truncate past the end', V, (s, t) => s.append(t.main, { type: 'thread:truncate', fromIndex: 50 })],
  ['truncate at an unknown message', V, (s, t) => s.append(t.main, { type: 'thread:truncate', fromMessageId: 'nope' })],
  ['title not a string', V, (s, t) => s.append(t.main, any({ type: 'title', value: 5 }))],
  ['child:link to a non-id', V, (s, t) => s.append(t.main, any({ type: 'child:link', threadId: 'T-nope' }))],
  ['expectedVersion negative', V, (s, t) => s.append(t.main, msg({ content: 'x' }), { expectedVersion: -1 })],
  ['expectedVersion a string', V, (s, t) => s.append(t.main, msg({ content: 'x' }), any({ expectedVersion: '3' }))],
  // Thread ids
  ['append to an unknown thread', NF, (s, t) => s.append(t.ghost, msg({ content: 'x' }))],
  ['thread id __proto__', V, (s) => s.append(any('__proto__'), msg({ content: 'x' }))],
  ['thread id constructor', V, (s) => s.getThread(any('constructor'))],
  ['thread id not a string', V, (s) => s.getThread(any(12))],
  ['loadPage of thread __proto__', V, (s) => s.loadPage(any('__proto__'))],
  ['history of thread constructor', V, (s) => s.history(any('constructor'))],
  ['loadPage of an unknown thread', NF, (s, t) => s.loadPage(t.ghost)],
  ['history of an unknown thread', NF, (s, t) => s.history(t.ghost)],
  ['usage of an unknown thread', NF, (s, t) => s.usage(t.ghost)],
  ['tree usage of an unknown thread', NF, (s, t) => s.usage(t.ghost, { tree: true })],
  ['related of an unknown thread', NF, (s, t) => s.getRelatedThreads(t.ghost)],
  ['tree of an unknown thread', NF, (s, t) => s.getThreadTree(t.ghost)],
  ['spawn from an unknown thread', NF, (s, t) => s.spawnSubAgentThread(t.ghost, 'task')],
  ['summary of an unknown thread', NF, (s, t) => s.createSummaryThread(t.ghost, 'sum')],
  ['writer of an unknown thread', NF, (s, t) => s.acquireWriter(t.ghost)],
  ['spawn with a non-string task', V, (s, t) => s.spawnSubAgentThread(t.main, any(42))],
  ['spawn from thread id __proto__', V, (s) => s.spawnSubAgentThread(any('__proto__'), 'task')],
  ['summary with a non-string content', V, (s, t) => s.createSummaryThread(t.main, any({ text: 'x' }))],
  // createThread
  ['createThread unknown field', V, (s) => s.createThread(any({ title: 't', owner: 'me' }))],
  ['createThread title not a string', V, (s) => s.createThread(any({ title: 7 }))],
  ['createThread env cwd empty', V, (s) => s.createThread({ env: { cwd: '' } })],
  ['createThread mainThreadID not an id', V, (s) => s.createThread(any({ mainThreadID: 'main' }))],
  // Pages, cursors, versions
  ['loadPage limit 0', V, (s, t) => s.loadPage(t.main, { limit: 0 })],
  ['loadPage limit 1.5', V, (s, t) => s.loadPage(t.main, { limit: 1.5 })],
  ['loadPage limit huge', V, (s, t) => s.loadPage(t.main, { limit: 1e9 })],
  ['loadPage offset negative', V, (s, t) => s.loadPage(t.main, { offset: -1 })],
  ['loadPage offset and before', V, (s, t) => s.loadPage(t.main, { offset: 0, before: t.msg })],
  ['loadPage before an unknown message', NF, (s, t) => s.loadPage(t.main, { before: 'no-such-message' })],
  ['loadPage after an empty id', V, (s, t) => s.loadPage(t.main, { after: '' })],
  ['listThreads limit 0', V, (s) => s.listThreads({ limit: 0 })],
  ['listThreads limit negative', V, (s) => s.listThreads({ limit: -5 })],
  ['listThreads garbage cursor', V, (s) => s.listThreads({ cursor: 'not-a-cursor' })],
  ['listThreads cursor of another shape', V, (s) => s.listThreads({ cursor: Buffer.from('{"s":"x","b":1}').toString('base64url') })],
  ['listThreads cursor not a string', V, (s) => s.listThreads(any({ cursor: 17 }))],
  ['getThread atVersion above v', V, (s, t) => s.getThread(t.main, { atVersion: 99 })],
  ['getThread atVersion negative', V, (s, t) => s.getThread(t.main, { atVersion: -1 })],
  ['history fromVersion above toVersion', V, (s, t) => s.history(t.main, { fromVersion: 3, toVersion: 1 })],
  ['history toVersion a string', V, (s, t) => s.history(t.main, any({ toVersion: 'all' }))],
  ['acquireWriter waitMs negative', V, (s, t) => s.acquireWriter(t.main, { waitMs: -1 })],
];

for (const kind of KINDS) {
  describe(`bad input (${kind})`, () => {
    test('every boundary refuses bad input with a SkeinError of the right code and leaves the store exactly as it was', () =>
      withStore(kind, async ({ store }) => {
        const main = await store.createThread({ title: 'main', env: { cwd: '/w' }, meta: { a: 1 } });
        const t = await store.append(main.id, [
          { type: 'user:message', message: { content: 'q' } },
          { type: 'assistant:message', message: { content: '', toolCalls: [{ id: 'c1', name: 'read', input: { p: 1 } }] } },
        ]);
        const child = await store.spawnSubAgentThread(main.id, 'sub task');
        const ids = { main: main.id, child: child.id, ghost: newThreadId(), msg: (t.ops[0] as { message: { id: string } }).message.id };
        const before = await storeState(store, [ids.main, ids.child, ids.ghost]);
        const failures: string[] = [];
        for (const [label, code, run] of CALLS) {
          try {
            await run(store, ids);
            failures.push(`${label}: accepted`);
          } catch (err) {
            if (!(err instanceof SkeinError)) failures.push(`${label}: threw ${String(err)}, not a SkeinError`);
            else if (err.code !== code) failures.push(`${label}: ${err.code} (${err.message}), expected ${code}`);
          }
          assert.deepEqual(await storeState(store, [ids.main, ids.child, ids.ghost]), before, `${label} changed the store`);
        }
        assert.deepEqual(failures, []);
        assert.equal(await store.getThread(ids.ghost), null, 'an unknown thread reads as null');
        // The store still works after all that.
        const ok = await store.append(main.id, { type: 'meta:set', key: 'ok', value: true });
        assert.equal(ok.v, 5);
        assert.equal(Object.getPrototypeOf(ok.meta), Object.prototype);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }));
  });
}
