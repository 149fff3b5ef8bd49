/**
 * The thread map's writes (DESIGN section 6, "Thread map"): a handoff (a new thread continuing
 * this one, opened by a summary and a goal) and a fork (a copy up to a message); mention links
 * are in mentions.ts. Both ends of a handoff and a fork are recorded: the new thread's
 * `thread:create` names its source, and the source gets a `handoff:link` / `fork:link` in the
 * same transaction. The store's facade validates; this module does the work.
 */
import { notFound, ValidationError } from '../errors.js';
import type { ThreadID } from '../model/ids.js';
import { parseCreateFields } from '../model/schema.js';
import type { Delta, Message, MessageInput, Thread, Visibility } from '../model/types.js';
import type { StoreCore } from './core.js';
import { readThread, type ReadContext } from './reads.js';
import { createThread } from './write-path.js';

/** How many of the source's last messages a generated handoff summary quotes. */
export const HANDOFF_QUOTED = 3;
/** How many characters of each quoted message a generated handoff summary keeps. */
export const HANDOFF_EXCERPT = 300;

/** The op that makes a new thread private when the thread it comes from is (sub-agents, summaries, handoffs, forks). */
function privateLike(from: { visibility?: Visibility }): Delta[] {
  return from.visibility === 'private' ? [{ type: 'visibility:set', value: 'private' }] : [];
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A plain summary of a thread for a handoff, made without a model: its title and id, its message
 * count, and its last few messages with text (role and a one-line excerpt each).
 */
export function handoffSummary(source: Thread): string {
  const quoted = source.messages.filter((m) => m.content.trim() !== '').slice(-HANDOFF_QUOTED);
  const lines = [`Continuing thread ${source.id} (${JSON.stringify(source.title ?? '(untitled)')}, ${source.messages.length} messages).`];
  if (quoted.length > 0) {
    lines.push('', 'Its last messages:');
    for (const m of quoted) lines.push(`- ${m.role}: ${oneLine(m.content, HANDOFF_EXCERPT)}`);
  }
  return lines.join('\n');
}

/**
 * A sub-agent thread: `task` is its first message (role user), it inherits the parent's env, and
 * the parent gets a `child:link` (raising its v) in the same transaction.
 */
export async function spawnSubAgent(core: StoreCore, parentId: ThreadID, task: string, options: { title?: string }): Promise<Thread> {
  const parent = (await core.mustLocate(parentId)).head;
  const fields = parseCreateFields({ mainThreadID: parentId, ...(parent.env && { env: parent.env }), ...(options.title !== undefined && { title: options.title }) });
  // A sub-agent of a private thread is private too: its task would otherwise show what the parent hides.
  const deltas: Delta[] = [{ type: 'user:message', message: { content: task } }, ...privateLike(parent)];
  return createThread(core, fields, deltas, { parent: parentId, delta: (threadId) => ({ type: 'child:link', threadId }) });
}

/** A summary thread: `content` is its first message (role assistant); the source gets a `summary:link`. */
export async function summaryThread(core: StoreCore, sourceId: ThreadID, content: string, options: { title?: string }): Promise<Thread> {
  const source = (await core.mustLocate(sourceId)).head;
  const fields = parseCreateFields({ originThreadID: sourceId, ...(options.title !== undefined && { title: options.title }) });
  const deltas: Delta[] = [{ type: 'assistant:message', message: { content } }, ...privateLike(source)];
  return createThread(core, fields, deltas, { parent: sourceId, delta: (threadId) => ({ type: 'summary:link', threadId }) });
}

/** What `Store.handoff` takes, validated. */
export interface HandoffOptions {
  goal: string;
  summary?: string;
  title?: string;
}

/** What `Store.fork` takes, validated. */
export interface ForkOptions {
  atMessageId: string;
  title?: string;
}

function text(o: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new ValidationError(key, 'must be a non-empty string');
  return v;
}

function optionsObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('options', 'must be an object');
  return value as Record<string, unknown>;
}

/** Validates `Store.handoff`'s options: a non-empty goal, an optional non-empty summary and title. */
export function parseHandoffOptions(value: unknown): HandoffOptions {
  const o = optionsObject(value);
  const summary = text(o, 'summary', false);
  const title = text(o, 'title', false);
  return { goal: text(o, 'goal', true)!, ...(summary !== undefined && { summary }), ...(title !== undefined && { title }) };
}

/** Validates `Store.fork`'s options: the id of the last message to copy, an optional title. */
export function parseForkOptions(value: unknown): ForkOptions {
  const o = optionsObject(value);
  const title = text(o, 'title', false);
  return { atMessageId: text(o, 'atMessageId', true)!, ...(title !== undefined && { title }) };
}

async function mustRead(ctx: ReadContext, id: ThreadID): Promise<Thread> {
  const t = await readThread(ctx, id, undefined);
  if (!t) throw notFound(`thread ${id}`);
  return t;
}

/**
 * A new thread continuing `sourceId`: its first message (role user) is the summary (given, or
 * `handoffSummary`) followed by `Goal: <goal>`; it inherits the source's env and privacy.
 */
export async function handoff(ctx: ReadContext, sourceId: ThreadID, options: HandoffOptions): Promise<Thread> {
  const { goal } = options;
  const source = await mustRead(ctx, sourceId);
  const summary = options.summary ?? handoffSummary(source);
  const fields = parseCreateFields({
    handoffFrom: sourceId,
    title: options.title ?? oneLine(goal, 80),
    ...(source.env && { env: source.env }),
  });
  const deltas: Delta[] = [{ type: 'user:message', message: { content: `${summary}\n\nGoal: ${goal}` } }, ...privateLike(source)];
  return createThread(ctx.core, fields, deltas, { parent: sourceId, delta: (threadId) => ({ type: 'handoff:link', threadId }) });
}

/** A message as a new message of another thread: the same body, a fresh id and key. */
function copyOf(m: Message): Delta {
  const { id: _id, key: _key, role, ...rest } = m;
  const message: MessageInput = rest;
  return { type: `${role}:message`, message };
}

/**
 * A copy of `sourceId`'s visible messages up to and including `atMessageId` as a new thread
 * (fresh message ids, same contents, timestamps and tool calls), linked to its origin both ways.
 */
export async function fork(ctx: ReadContext, sourceId: ThreadID, options: ForkOptions): Promise<Thread> {
  const { atMessageId } = options;
  const source = await mustRead(ctx, sourceId);
  const at = source.messages.findIndex((m) => m.id === atMessageId);
  if (at < 0) throw new ValidationError('atMessageId', `no visible message ${atMessageId} in thread ${sourceId}`);
  const fields = parseCreateFields({
    forkedFrom: sourceId,
    forkedAt: atMessageId,
    title: options.title ?? `Fork of ${source.title ?? sourceId}`.slice(0, 200),
    ...(source.env && { env: source.env }),
  });
  const deltas: Delta[] = [...source.messages.slice(0, at + 1).map(copyOf), ...privateLike(source)];
  return createThread(ctx.core, fields, deltas, { parent: sourceId, delta: (threadId) => ({ type: 'fork:link', threadId, messageId: atMessageId }) });
}
