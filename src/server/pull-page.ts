/**
 * One page of `GET /v1/sync/pull`, bounded by op count and by bytes: ops are read from the
 * backend in small batches (the batch size adapts to the ops' sizes, so a workspace of multi-MB
 * ops is never loaded whole), each op is serialized once, and the page stops before the op that
 * would take it over `maxBytes` (an op larger than the cap goes alone, on a page of its own).
 * The answer is one text (the page is bounded by bytes), compressed in one call by the route.
 * Ops of the asking device are left out, but their thread's change still says up to which
 * version the server holds (a change may carry no ops).
 */
import type { OpTextRow, StorageBackend } from '../store/backend.js';
import { PROTOCOL_VERSION } from '../sync/protocol.js';

/** Default byte cap of a pull page (the JSON of its ops). */
export const DEFAULT_PULL_BYTES = 4 * 1024 * 1024;

/** A page, ready to be sent. */
export interface PullPage {
  cursor: number;
  hasMore: boolean;
  /** Ops read (left-out ones included: the cursor moves past them). */
  read: number;
  /** Bytes of op JSON in the page. */
  bytes: number;
  /** The JSON body `{ type, protocol, cursor, hasMore, changes }`. */
  text(): string;
}

type Group = { id: string; fromVersion: number; toVersion: number; ops: string[] };

/** Reads one page after `cursor`; ops by `exclude` (a client id) or of `hidden` threads are left out but passed. */
export async function readPullPage(
  backend: Pick<StorageBackend, 'opsSince' | 'opTextsSince'>,
  options: { cursor: number; limit: number; maxBytes?: number; exclude?: string | undefined; hidden?: ReadonlySet<string> },
): Promise<PullPage> {
  const maxBytes = options.maxBytes ?? DEFAULT_PULL_BYTES;
  const groups = new Map<string, Group>();
  let cursor = options.cursor;
  let read = 0;
  let bytes = 0;
  let hasMore = false;
  let batch = 8;
  // A left-out op still moves its thread's toVersion: a device whose sync state is behind its own
  // ops (a copied or restored store) sees the versions it lacks and fetches them.
  const add = (op: { threadId: string; v: number }, text: string | undefined) => {
    const g = groups.get(op.threadId);
    if (g) {
      if (text !== undefined) g.ops.push(text);
      g.toVersion = op.v;
    } else groups.set(op.threadId, { id: op.threadId, fromVersion: op.v - 1, toVersion: op.v, ops: text === undefined ? [] : [text] });
  };
  outer: while (read < options.limit) {
    const want = Math.min(batch, options.limit - read);
    // Ops as their stored texts where the backend has them (no parse and re-serialization).
    const rows: OpTextRow[] = backend.opTextsSince
      ? await backend.opTextsSince(cursor, want)
      : (await backend.opsSince(cursor, want)).map(({ seq, op }) => ({ seq, threadId: op.threadId, v: op.v, clientId: op.clientId, text: () => JSON.stringify(op) }));
    for (const op of rows) {
      const seq = op.seq;
      // Ops of threads hidden from this reader (another user's private threads) are passed
      // without a trace: not even their thread's id or version reaches the page.
      if (options.hidden?.has(op.threadId)) {
        cursor = seq;
        read++;
        continue;
      }
      if (op.clientId === options.exclude) add(op, undefined);
      else {
        const text = op.text();
        const size = Buffer.byteLength(text);
        if (bytes > 0 && bytes + size > maxBytes) {
          hasMore = true;
          break outer;
        }
        add(op, text);
        bytes += size;
      }
      cursor = seq;
      read++;
    }
    if (rows.length < want) break;
    if (read >= options.limit) {
      hasMore = true;
      break;
    }
    // Read about as many ops as would fill what is left of the page, judging by those so far.
    const avg = bytes > 0 ? bytes / read : 64;
    batch = Math.max(1, Math.min(1000, Math.floor((maxBytes - bytes) / avg) + 1));
  }
  return {
    cursor,
    hasMore,
    read,
    bytes,
    text() {
      let out = '';
      for (const part of parts()) out += part;
      return out;
    },
  };

  function* parts(): Generator<string> {
    yield `{"type":"pull:result","protocol":${PROTOCOL_VERSION},"cursor":${cursor},"hasMore":${hasMore},"changes":[`;
    let first = true;
    for (const g of groups.values()) {
      yield `${first ? '' : ','}{"id":${JSON.stringify(g.id)},"fromVersion":${g.fromVersion},"toVersion":${g.toVersion},"ops":[`;
      first = false;
      for (let i = 0; i < g.ops.length; i++) yield (i > 0 ? ',' : '') + g.ops[i]!;
      yield ']}';
    }
    yield ']}';
  }
}
