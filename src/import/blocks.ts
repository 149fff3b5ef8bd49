/**
 * Anthropic-style content blocks (Claude Code and Cline write them) turned into a skein message's
 * parts: text, tool calls, tool results (paired later by the call id, `is_error` kept), thinking,
 * and images (stored once by hash in the import state, referenced from the message).
 */
import type { MessageInput, ToolCall, ToolResult } from '../model/types.js';
import type { StateDb } from './state-db.js';

/** What a list of blocks maps to. */
export interface MappedBlocks {
  text: string[];
  toolCalls: ToolCall[];
  toolResults: ToolResult[];
  thinking: string[];
  images: { sha256: string; mediaType: string }[];
  /** Block types kept only in the verbatim record. */
  other: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Stores a base64 image block's bytes; answers its reference. */
function imageRef(db: StateDb, block: Obj): { sha256: string; mediaType: string } | undefined {
  const src = block.source;
  if (!isObj(src) || src.type !== 'base64' || typeof src.data !== 'string') return undefined;
  const mediaType = typeof src.media_type === 'string' ? src.media_type : 'application/octet-stream';
  return { sha256: db.putBlob(Buffer.from(src.data, 'base64'), mediaType), mediaType };
}

/** A tool result's content with images replaced by references (text and other blocks kept). */
function resultOutput(db: StateDb, content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? '';
  return content.map((b: unknown) => {
    if (isObj(b) && b.type === 'image') {
      const ref = imageRef(db, b);
      if (ref) return { type: 'image', ...ref };
    }
    return b;
  });
}

/** Maps `content` (a string or blocks) as Claude Code and Cline write it. */
export function mapBlocks(db: StateDb, content: unknown): MappedBlocks {
  const out: MappedBlocks = { text: [], toolCalls: [], toolResults: [], thinking: [], images: [], other: [] };
  if (typeof content === 'string') {
    out.text.push(content);
    return out;
  }
  if (!Array.isArray(content)) return out;
  const callIds = new Set<string>();
  for (const b of content) {
    if (!isObj(b)) continue;
    switch (b.type) {
      case 'text':
        if (typeof b.text === 'string') out.text.push(b.text);
        break;
      case 'thinking':
        if (typeof b.thinking === 'string') out.thinking.push(b.thinking);
        break;
      case 'redacted_thinking':
        out.thinking.push('[redacted thinking]');
        break;
      case 'tool_use': {
        const id = typeof b.id === 'string' && b.id ? b.id : typeof b.call_id === 'string' ? b.call_id : undefined;
        if (!id || callIds.has(id)) {
          out.other.push('tool_use');
          break;
        }
        callIds.add(id);
        out.toolCalls.push({ id, name: typeof b.name === 'string' && b.name ? b.name : 'unknown', input: b.input ?? null });
        break;
      }
      case 'tool_result': {
        if (typeof b.tool_use_id !== 'string' || !b.tool_use_id) {
          out.other.push('tool_result');
          break;
        }
        out.toolResults.push({ toolCallId: b.tool_use_id, output: resultOutput(db, b.content), ...(b.is_error === true && { isError: true }) });
        break;
      }
      case 'image': {
        const ref = imageRef(db, b);
        if (ref) out.images.push(ref);
        else out.other.push('image');
        break;
      }
      default:
        out.other.push(typeof b.type === 'string' ? b.type : 'unknown');
    }
  }
  return out;
}

/** The message fields of mapped blocks (only the parts that are there). */
export function messageOf(m: MappedBlocks): MessageInput {
  return {
    content: m.text.join('\n\n'),
    ...(m.toolCalls.length > 0 && { toolCalls: m.toolCalls }),
    ...(m.toolResults.length > 0 && { toolResults: m.toolResults }),
    ...(m.thinking.length > 0 && { thinking: m.thinking.join('\n\n') }),
    ...(m.images.length > 0 && { images: m.images }),
  };
}

/** A title from a first prompt: its first non-empty line, at most 100 characters. */
export function titleFromPrompt(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line) return undefined;
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
