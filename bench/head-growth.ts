/**
 * What the head (the row read and written on every append) weighs after many ops of one kind, folded
 * the way a store folds them (completeOp + step, no message array) and bounded the way a store
 * stores it (boundHead at every commit: hidden ranges and link lists): unanswered tool calls,
 * answered ones, truncations, sub-agent links, mentions and meta keys, at 10 and at N of each.
 * Pure, no I/O.
 */
import { completeOp, createOp, emptyThread, newThreadId, step, type Delta, type Message, type ThreadCore } from '../src/index.js';
import { boundHead } from '../src/model/bounded-links.js';
import type { ResultRow } from './helpers.js';

type Mix = 'unanswered calls' | 'answered calls' | 'truncations' | 'sub-agent links' | 'mentions' | 'meta keys';

function deltasOf(mix: Mix, i: number, visible: number): Delta[] {
  const user: Delta = { type: 'user:message', message: { content: `prompt ${i}` } };
  const call: Delta = { type: 'assistant:message', message: { content: `call ${i}`, toolCalls: [{ id: `call_${i}`, name: 'bash', input: { i } }] } };
  switch (mix) {
    case 'unanswered calls':
      return [user, call];
    case 'answered calls':
      return [call, { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: `call_${i}`, output: 'ok' }] } }];
    case 'truncations':
      // Two messages, then the last one is cut (an edited prompt, a rewound step).
      return [user, user, { type: 'thread:truncate', fromIndex: visible + 1 }];
    case 'sub-agent links':
      return [{ type: 'child:link', threadId: newThreadId() }];
    case 'mentions':
      return [{ type: 'mention:link', threadId: newThreadId(), messageId: `m${i}` }];
    case 'meta keys':
      return [{ type: 'meta:set', key: `k${i}`, value: i }];
  }
}

/** Serialized bytes of the head after `n` rounds of `mix`. */
export function headBytes(mix: Mix, n: number): number {
  const id = newThreadId();
  const now0 = 1_700_000_000_000;
  const { messages: _m, ...empty } = emptyThread(id);
  let core: ThreadCore = step(empty, createOp(id, {}, { clientId: 'bench', now: now0 })).core;
  const visible: Message[] = [];
  let now = now0;
  for (let i = 0; i < n; i++) {
    for (const delta of deltasOf(mix, i, visible.length)) {
      const op = completeOp(core, delta, { clientId: 'bench', now: ++now, messageAt: (k) => visible[k], indexOf: () => undefined });
      const r = step(core, op);
      core = boundHead(r.core);
      if (r.effect.kind === 'insert' && !r.effect.hidden) visible.push(r.effect.message);
      if (op.type === 'thread:truncate') visible.length = op.fromIndex;
    }
  }
  return Buffer.byteLength(JSON.stringify({ ...core, messageCount: visible.length, updated: now }));
}

/** One row per mix: head bytes at `n` against 10 (baseline). Bounded mixes must stay flat. */
export function headGrowthRows(n: number): ResultRow[] {
  const bounded = new Set<Mix>(['unanswered calls', 'answered calls', 'truncations', 'sub-agent links', 'mentions', 'meta keys']);
  return (['unanswered calls', 'answered calls', 'truncations', 'sub-agent links', 'mentions', 'meta keys'] as const).map((mix) => {
    const small = headBytes(mix, 10);
    const big = headBytes(mix, n);
    const row: ResultRow = { metric: `head bytes after ${n.toLocaleString('en-US')} ${mix} (baseline: 10)`, unit: 'B', skein: big, baseline: small, ratio: big / small };
    if (bounded.has(mix)) Object.assign(row, { target: '<= 1.1', pass: big / small <= 1.1 });
    return row;
  });
}
