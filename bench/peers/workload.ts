/**
 * The one conversation every peer stores: roles alternate (user first), about 500 B of text per
 * message, and every assistant message makes one tool call and carries token usage. Seeded, so
 * every peer and every run stores the same messages.
 */
import { rng } from '../fixtures.js';

/** One generated message, in no store's format. */
export interface GenMessage {
  id: string;
  index: number;
  role: 'user' | 'assistant';
  content: string;
  toolCall?: { id: string; name: string; input: Record<string, unknown> };
  usage?: { model: string; inputTokens: number; outputTokens: number; costUSD: number };
}

const WORDS = 'the a of to and in is it for on with as that this file function test error return value type const import export async await thread message store append page cursor index query commit version cache memory disk token cost model tool call result output input path line'.split(' ');
const TOOLS = ['read_file', 'edit_file', 'bash', 'grep', 'list_dir'];

function text(rand: () => number, size: number): string {
  let s = '';
  while (s.length < size) s += WORDS[Math.floor(rand() * WORDS.length)]! + ' ';
  return s.slice(0, size);
}

/** Message `index` of thread number `thread` (ids are unique across threads). */
export function genMessage(thread: number, index: number): GenMessage {
  const rand = rng(thread * 1_000_003 + index + 1);
  const id = `m-${thread}-${index}`;
  const content = text(rand, 450 + Math.floor(rand() * 100));
  if (index % 2 === 0) return { id, index, role: 'user', content };
  const inputTokens = 2000 + Math.floor(rand() * 30000);
  const outputTokens = 50 + Math.floor(rand() * 800);
  return {
    id,
    index,
    role: 'assistant',
    content,
    toolCall: { id: `call-${thread}-${index}`, name: TOOLS[index % TOOLS.length]!, input: { path: `src/${WORDS[index % WORDS.length]}/index.ts`, limit: 200 } },
    usage: { model: 'claude-sonnet-4', inputTokens, outputTokens, costUSD: Math.round((inputTokens * 3 + outputTokens * 15) / 1000) / 1000 },
  };
}

/** Messages `start .. start+count-1` of thread number `thread`. */
export function genMessages(thread: number, start: number, count: number): GenMessage[] {
  return Array.from({ length: count }, (_, i) => genMessage(thread, start + i));
}
