/**
 * Builders for Claude Code transcript lines, shaped as the transcript notes describe them
 * (envelope fields, split assistant pieces, tool results, sidechains, compaction).
 */
export const SESSION = '11111111-2222-4333-8444-555555555555';
export const CWD = '/home/dev/my.project';

let clock = Date.parse('2026-01-05T10:00:00.000Z');
/** An ISO timestamp one second after the previous one. */
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

type Obj = Record<string, unknown>;

function envelope(type: string, uuid: string, parentUuid: string | null, extra: Obj = {}): Obj {
  return {
    parentUuid,
    isSidechain: false,
    userType: 'external',
    cwd: CWD,
    sessionId: SESSION,
    version: '2.0.42',
    gitBranch: 'main',
    type,
    uuid,
    timestamp: tick(),
    ...extra,
  };
}

/** A user prompt. */
export function user(uuid: string, parent: string | null, text: string | Obj[], extra: Obj = {}): Obj {
  return envelope('user', uuid, parent, { message: { role: 'user', content: text }, ...extra });
}

/** A user line carrying tool results. */
export function toolResult(uuid: string, parent: string, results: { id: string; content: unknown; isError?: boolean }[], extra: Obj = {}): Obj {
  return envelope('user', uuid, parent, {
    message: { role: 'user', content: results.map((r) => ({ type: 'tool_result', tool_use_id: r.id, content: r.content, ...(r.isError && { is_error: true }) })) },
    toolUseResult: { stdout: 'x', stderr: '', interrupted: false },
    ...extra,
  });
}

/** One assistant piece (one content block) of the API response `msgId` / `requestId`. */
export function assistant(uuid: string, parent: string, msgId: string, requestId: string, block: Obj, usage: Obj, extra: Obj = {}): Obj {
  return envelope('assistant', uuid, parent, {
    requestId,
    message: {
      id: msgId,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [block],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 1, service_tier: 'standard', ...usage },
    },
    ...extra,
  });
}

/** Lines as JSONL text. */
export function jsonl(lines: Obj[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
