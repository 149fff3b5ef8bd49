/**
 * Generates Claude Code session files of any size (for the crash test and the import benchmark):
 * per turn a prompt, a response split over two pieces (text, tool call), the tool result and a
 * final answer, with padding text so lines have a realistic size.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

const WORDS = 'the parser reads each line and the test checks that every tool call has its result before the next turn begins'.split(' ');

function words(n: number, seed: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[(seed * 31 + i * 7) % WORDS.length]!);
  return out.join(' ');
}

/** Writes a session of `turns` turns (5 lines each) to `file`; answers the bytes written. */
export function writeSession(file: string, sessionId: string, turns: number, options: { pad?: number; cwd?: string } = {}): number {
  const fd = openSync(file, 'w');
  const pad = options.pad ?? 120;
  let bytes = 0;
  let t = Date.parse('2026-02-01T09:00:00.000Z');
  let parent: string | null = null;
  const base = (type: string, uuid: string, extra: Record<string, unknown>) => ({
    parentUuid: parent,
    isSidechain: false,
    userType: 'external',
    cwd: options.cwd ?? '/home/dev/bench',
    sessionId,
    version: '2.1.17',
    gitBranch: 'main',
    type,
    uuid,
    timestamp: new Date((t += 500)).toISOString(),
    ...extra,
  });
  const put = (rec: Record<string, unknown>) => {
    const line = JSON.stringify(rec) + '\n';
    bytes += writeSync(fd, line);
    parent = rec.uuid as string;
  };
  const usage = (out: number) => ({ input_tokens: 12, cache_creation_input_tokens: 300, cache_read_input_tokens: 9000, output_tokens: out, service_tier: 'standard' });
  const asst = (uuid: string, msgId: string, block: unknown, out: number) =>
    base('assistant', uuid, {
      requestId: `req_${msgId}`,
      message: { id: msgId, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [block], stop_reason: null, stop_sequence: null, usage: usage(out) },
    });
  for (let i = 0; i < turns; i++) {
    const id = `${sessionId.slice(0, 8)}-${i}`;
    put(base('user', `${id}-u`, { message: { role: 'user', content: `Turn ${i}: ${words(pad / 4, i)}` } }));
    put(asst(`${id}-a1`, `msg_${id}a`, { type: 'text', text: words(pad / 2, i + 1) }, 1));
    put(asst(`${id}-a2`, `msg_${id}a`, { type: 'tool_use', id: `toolu_${id}`, name: 'Read', input: { file_path: `/src/file${i}.ts` } }, 120));
    put(
      base('user', `${id}-r`, {
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${id}`, content: words(pad, i + 2) }] },
        toolUseResult: { type: 'text', file: { filePath: `/src/file${i}.ts`, numLines: 40 } },
      }),
    );
    put(asst(`${id}-a3`, `msg_${id}b`, { type: 'text', text: words(pad / 3, i + 3) }, 60));
  }
  closeSync(fd);
  return bytes;
}
