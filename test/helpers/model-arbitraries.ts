/**
 * fast-check arbitraries for the pure core: realistic threads built the way a store builds them.
 *
 * A thread starts as `applyOp(emptyThread(id), createOp(id, fields, { clientId, now }))`; then a
 * list of abstract steps is resolved against the thread as it grows (a tool result answers a call
 * that is open and visible, a truncate points at a visible message) and applied at a wall clock
 * that mostly moves forward but sometimes stands still or goes backwards, to exercise the hybrid
 * logical clock. Steps are plain data, so fast-check can shrink them; the thread is rebuilt from
 * them.
 *
 * Two build modes: `delta` applies each step with `applyDelta(thread, delta, { clientId, now })`
 * (the public path); `ops` completes each delta with `completeOp` and applies it with `applyOp`,
 * keeping the ops (for folds, merges and the codec). Both resolve steps identically; only the
 * random ids differ.
 */
import fc from 'fast-check';
import {
  applyDelta,
  applyOp,
  completeOp,
  createOp,
  emptyThread,
  type CreateFields,
  type Delta,
  type MessageInput,
  type Op,
  type ResourceUsage,
  type Thread,
  type ThreadID,
} from '../../src/model/index.js';

export const THREAD_ID: ThreadID = 'T-01890000-0000-7000-8000-000000000000';

/** Threads that `child:link` / `summary:link` point at. */
export const LINK_POOL: readonly ThreadID[] = [
  'T-01890000-0000-7000-8000-000000000001',
  'T-01890000-0000-7000-8000-000000000002',
  'T-01890000-0000-7000-8000-000000000003',
  'T-01890000-0000-7000-8000-000000000004',
];

/** A wall clock near 2023-11, far from 0 so that going backwards stays positive. */
export const T0 = 1_700_000_000_000;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const jsonLeaf: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0.5, -2.25, 1e-3),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
);
/** Small JSON values whose keys are never reserved names. */
export const jsonArb: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: jsonLeaf, weight: 4 },
  { arbitrary: fc.array(jsonLeaf, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.dictionary(fc.constantFrom('x', 'y', 'z'), jsonLeaf, { maxKeys: 3, noNullPrototype: true }), weight: 1 },
);

const usageArb: fc.Arbitrary<ResourceUsage> = fc.record(
  {
    model: fc.constantFrom('m-small', 'm-large'),
    inputTokens: fc.nat({ max: 100_000 }),
    outputTokens: fc.nat({ max: 100_000 }),
    cacheReadTokens: fc.nat({ max: 100_000 }),
    cacheWriteTokens: fc.nat({ max: 100_000 }),
    costUSD: fc.constantFrom(0, 0.001, 0.25, 3),
  },
  { requiredKeys: [], noNullPrototype: true },
);

/** Extra message fields a caller may add; they must come back untouched. */
const extraArb = fc.option(fc.dictionary(fc.constantFrom('source', 'tag', 'attachments'), jsonArb, { minKeys: 1, maxKeys: 2, noNullPrototype: true }), {
  nil: undefined,
});

/** What a step does, independent of the thread it is applied to. */
export type Action =
  | { kind: 'user'; content: string; extra?: Record<string, Json>; giveId: boolean; timestamp?: number }
  | { kind: 'assistant'; content: string; calls: number; usage?: ResourceUsage; giveId: boolean; timestamp?: number }
  | { kind: 'results'; role: 'user' | 'assistant' | 'system'; pick: number; all: boolean; isError: boolean }
  | { kind: 'system'; content: string }
  | { kind: 'title'; value: string }
  | { kind: 'meta'; key: string; value: Json }
  | { kind: 'env'; cwd: string }
  | { kind: 'link'; type: 'child:link' | 'summary:link' | 'handoff:link' | 'fork:link' | 'mention:link'; pick: number }
  | { kind: 'archive' }
  | { kind: 'restore' }
  | { kind: 'visibility'; value: 'private' | 'workspace' | 'public' }
  | { kind: 'truncate'; pick: number; byId: boolean };

/** One step: an action, and how far the wall clock moves before it (may be 0 or negative). */
export interface Step {
  action: Action;
  dt: number;
}

const contentArb = fc.string({ maxLength: 6 });
const timestampArb = fc.option(fc.integer({ min: 0, max: 2 * T0 }), { nil: undefined, freq: 4 });

const messageActions: fc.Arbitrary<Action>[] = [
  fc.record(
    { kind: fc.constant('user' as const), content: contentArb, extra: extraArb, giveId: fc.boolean(), timestamp: timestampArb },
    { requiredKeys: ['kind', 'content', 'giveId'], noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant('assistant' as const),
      content: contentArb,
      calls: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      usage: fc.option(usageArb, { nil: undefined }),
      giveId: fc.boolean(),
      timestamp: timestampArb,
    },
    { requiredKeys: ['kind', 'content', 'calls', 'giveId'], noNullPrototype: true },
  ),
  fc.record({
    kind: fc.constant('results' as const),
    role: fc.constantFrom('user' as const, 'user' as const, 'assistant' as const, 'system' as const),
    pick: fc.nat({ max: 7 }),
    all: fc.boolean(),
    isError: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('system' as const), content: contentArb }),
];

const scalarActions: fc.Arbitrary<Action>[] = [
  fc.record({ kind: fc.constant('title' as const), value: fc.string({ maxLength: 5 }) }),
  fc.record({ kind: fc.constant('meta' as const), key: fc.constantFrom('a', 'b', 'c'), value: jsonArb }),
  fc.record({ kind: fc.constant('env' as const), cwd: fc.constantFrom('/w', '/w/a', '/tmp') }),
  fc.record({ kind: fc.constant('link' as const), type: fc.constantFrom('child:link' as const, 'summary:link' as const, 'handoff:link' as const, 'fork:link' as const, 'mention:link' as const), pick: fc.nat({ max: 7 }) }),
  fc.constant({ kind: 'archive' as const }),
  fc.constant({ kind: 'restore' as const }),
  fc.record({ kind: fc.constant('visibility' as const), value: fc.constantFrom('private' as const, 'workspace' as const, 'public' as const) }),
];

const truncateAction: fc.Arbitrary<Action> = fc.record({ kind: fc.constant('truncate' as const), pick: fc.nat({ max: 15 }), byId: fc.boolean() });

/** Which kinds of actions a step may hold: `false` leaves a kind out, a number weighs it (default 1). */
export interface ActionMix {
  messages?: boolean | number;
  scalars?: boolean | number;
  truncate?: boolean | number;
}

const weightOf = (w: boolean | number | undefined): number => (w === undefined || w === true ? 1 : w === false ? 0 : w);

/** An action: mostly messages, some scalars and links, a few truncates. */
export function actionArb(mix: ActionMix = {}): fc.Arbitrary<Action> {
  const [m, s, t] = [weightOf(mix.messages), weightOf(mix.scalars), weightOf(mix.truncate)];
  const parts: { arbitrary: fc.Arbitrary<Action>; weight: number }[] = [];
  if (m > 0) parts.push(...messageActions.map((arbitrary) => ({ arbitrary, weight: 4 * m })));
  if (s > 0) parts.push(...scalarActions.map((arbitrary) => ({ arbitrary, weight: s })));
  if (t > 0) parts.push({ arbitrary: truncateAction, weight: t });
  return fc.oneof(...parts);
}

/** How the wall clock moves between steps: usually forward, sometimes not at all, sometimes back. */
export const dtArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 5 },
  { arbitrary: fc.constant(0), weight: 2 },
  { arbitrary: fc.integer({ min: -5000, max: -1 }), weight: 2 },
);

export function stepArb(mix?: ActionMix): fc.Arbitrary<Step> {
  return fc.record({ action: actionArb(mix), dt: dtArb });
}

export function stepsArb(maxLength: number, mix?: ActionMix, minLength = 0): fc.Arbitrary<Step[]> {
  return fc.array(stepArb(mix), { minLength, maxLength });
}

export const createFieldsArb: fc.Arbitrary<CreateFields> = fc.record(
  {
    title: fc.string({ maxLength: 5 }),
    env: fc.constant({ cwd: '/w' }),
    meta: fc.dictionary(fc.constantFrom('a', 'b'), jsonArb.filter((v) => v !== null), { maxKeys: 2, noNullPrototype: true }),
  },
  { requiredKeys: [], noNullPrototype: true },
);

export type Mode = 'delta' | 'ops';

/** A thread together with how it was made. */
export interface Built {
  thread: Thread;
  /** Every op of the thread, oldest first (empty in `delta` mode). */
  ops: Op[];
  /** `history[v]` is the thread at version `v` (`history[0]` is the empty thread). */
  history: Thread[];
  /** The wall clock of the last op. */
  now: number;
}

/** Where a builder takes the ids it gives (tool call ids, caller-given message ids). */
export interface Namer {
  label: string;
  n: number;
}

function nextName(namer: Namer, what: string): string {
  namer.n += 1;
  return `${what}-${namer.label}-${namer.n}`;
}

/** The open tool calls of `thread` whose call message is visible, grouped by that message. */
export function answerableCalls(thread: Thread): string[][] {
  const byKey = new Map<string, string[]>();
  const visible = new Set(thread.messages.map((m) => m.key));
  for (const [callId, key] of Object.entries(thread.clock.openCalls)) {
    if (!visible.has(key)) continue;
    const list = byKey.get(key) ?? [];
    list.push(callId);
    byKey.set(key, list);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ids]) => ids.sort());
}

/** Resolves an action against the thread it is about to be applied to. */
export function resolveAction(thread: Thread, action: Action, namer: Namer): Delta {
  switch (action.kind) {
    case 'user':
    case 'assistant': {
      const message: MessageInput = { content: action.content };
      if (action.giveId) message.id = nextName(namer, 'msg');
      if (action.timestamp !== undefined) message.timestamp = action.timestamp;
      if (action.kind === 'user' && action.extra) Object.assign(message, action.extra);
      if (action.kind === 'assistant') {
        if (action.calls > 0)
          message.toolCalls = Array.from({ length: action.calls }, (_, i) => ({
            id: nextName(namer, 'call'),
            name: i % 2 ? 'read' : 'bash',
            input: { i },
          }));
        if (action.usage) message.resourceUsage = action.usage;
      }
      return { type: action.kind === 'user' ? 'user:message' : 'assistant:message', message };
    }
    case 'results': {
      const groups = answerableCalls(thread);
      if (groups.length === 0) return { type: 'user:message', message: { content: 'no calls to answer' } };
      const calls = groups[action.pick % groups.length]!;
      const answered = action.all ? calls : calls.slice(0, 1);
      return {
        type: `${action.role}:message`,
        message: {
          content: '',
          toolResults: answered.map((toolCallId) => ({ toolCallId, output: `out of ${toolCallId}`, ...(action.isError && { isError: true }) })),
        },
      };
    }
    case 'system':
      return { type: 'system:message', message: { content: action.content } };
    case 'title':
      return { type: 'title', value: action.value };
    case 'meta':
      return { type: 'meta:set', key: action.key, value: action.value };
    case 'env':
      return { type: 'env:set', env: { cwd: action.cwd } };
    case 'link': {
      const threadId = LINK_POOL[action.pick % LINK_POOL.length]!;
      if (action.type === 'fork:link' || action.type === 'mention:link') return { type: action.type, threadId, messageId: `m${action.pick % 3}` };
      return { type: action.type, threadId };
    }
    case 'archive':
    case 'restore':
      return { type: action.kind };
    case 'visibility':
      return { type: 'visibility:set', value: action.value };
    case 'truncate': {
      const n = thread.messages.length;
      if (n === 0) return { type: 'system:message', message: { content: 'nothing to truncate' } };
      const index = action.pick % n;
      return action.byId ? { type: 'thread:truncate', fromMessageId: thread.messages[index]!.id } : { type: 'thread:truncate', fromIndex: index };
    }
  }
}

/** `applyDelta`, but also returning the op it made (what a store logs). */
export function applyDeltaRecording(thread: Thread, delta: Delta, opts: { clientId: string; now: number }): { thread: Thread; op: Op } {
  const { messages, ...core } = thread;
  const op = completeOp(core, delta, {
    clientId: opts.clientId,
    now: opts.now,
    messageAt: (i) => messages[i],
    indexOf: (id) => {
      const i = messages.findIndex((m) => m.id === id);
      return i < 0 ? undefined : i;
    },
  });
  return { thread: applyOp(thread, op), op };
}

/** Starts a thread with its `thread:create` op. */
export function startThread(fields: CreateFields, clientId: string, now: number, id: ThreadID = THREAD_ID): Built {
  const op = createOp(id, fields, { clientId, now });
  const empty = emptyThread(id);
  const thread = applyOp(empty, op);
  return { thread, ops: [op], history: [empty, thread], now };
}

/** Applies `steps` to `from` as `clientId`, starting the wall clock at `now0`. */
export function extend(from: Built, steps: readonly Step[], cfg: { clientId: string; now0: number; mode: Mode; namer: Namer }): Built {
  let { thread } = from;
  const ops = [...from.ops];
  const history = [...from.history];
  let now = cfg.now0;
  for (const s of steps) {
    now += s.dt;
    const delta = resolveAction(thread, s.action, cfg.namer);
    if (cfg.mode === 'delta') {
      thread = applyDelta(thread, delta, { clientId: cfg.clientId, now });
    } else {
      const r = applyDeltaRecording(thread, delta, { clientId: cfg.clientId, now });
      thread = r.thread;
      ops.push(r.op);
    }
    history.push(thread);
  }
  return { thread, ops, history, now };
}

/** The data a thread is built from (kept so that tests can rebuild it another way). */
export interface ThreadPlan {
  fields: CreateFields;
  clientId: string;
  start: number;
  steps: Step[];
}

export function threadPlanArb(opts: { maxSteps?: number; minSteps?: number; mix?: ActionMix } = {}): fc.Arbitrary<ThreadPlan> {
  return fc.record({
    fields: createFieldsArb,
    clientId: fc.constantFrom('devA', 'devB', 'server'),
    start: fc.integer({ min: T0, max: T0 + 10_000 }),
    steps: stepsArb(opts.maxSteps ?? 12, opts.mix, opts.minSteps ?? 0),
  });
}

export function buildPlan(plan: ThreadPlan, mode: Mode): Built {
  const b = startThread(plan.fields, plan.clientId, plan.start);
  return extend(b, plan.steps, { clientId: plan.clientId, now0: plan.start, mode, namer: { label: 'b', n: 0 } });
}

/** A random realistic thread, with its ops (in `ops` mode) and its history. */
export function builtThreadArb(opts: { maxSteps?: number; minSteps?: number; mix?: ActionMix; mode?: Mode } = {}): fc.Arbitrary<Built> {
  return threadPlanArb(opts).map((p) => buildPlan(p, opts.mode ?? 'delta'));
}

/** One base and two replicas that grew from it independently. */
export interface Scenario {
  base: Built;
  /** Built by `devA` from base; `ops` holds base's ops followed by its own. */
  local: Built;
  /** Built by `devB` from base. */
  remote: Built;
  /** The ops each side added (in `ops` mode). */
  localOps: Op[];
  remoteOps: Op[];
}

export interface ScenarioOptions {
  baseSteps?: number;
  sideSteps?: number;
  /** Minimum steps per side (0 lets a side stay unchanged). */
  minSideSteps?: number;
  mode?: Mode;
  baseMix?: ActionMix;
  sideMix?: ActionMix;
}

/**
 * (base, local, remote): local and remote start from the same base, are written by `devA` and
 * `devB`, with clocks skewed against the base's and each other's, and independent steps.
 */
export function scenarioArb(opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const mode = opts.mode ?? 'ops';
  return fc
    .record({
      base: threadPlanArb({ maxSteps: opts.baseSteps ?? 5, mix: opts.baseMix }),
      skewA: fc.integer({ min: -4000, max: 4000 }),
      skewB: fc.integer({ min: -4000, max: 4000 }),
      stepsA: stepsArb(opts.sideSteps ?? 5, opts.sideMix, opts.minSideSteps ?? 0),
      stepsB: stepsArb(opts.sideSteps ?? 5, opts.sideMix, opts.minSideSteps ?? 0),
    })
    .map(({ base: plan, skewA, skewB, stepsA, stepsB }) => {
      const base = buildPlan(plan, mode);
      const local = extend(base, stepsA, { clientId: 'devA', now0: base.now + skewA, mode, namer: { label: 'L', n: 0 } });
      const remote = extend(base, stepsB, { clientId: 'devB', now0: base.now + skewB, mode, namer: { label: 'R', n: 0 } });
      return { base, local, remote, localOps: local.ops.slice(base.ops.length), remoteOps: remote.ops.slice(base.ops.length) };
    });
}

/** Freezes a value and everything reachable from it, so that any write throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[k]);
  }
  return value;
}
