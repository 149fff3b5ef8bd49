/**
 * skein's own JSONL export (`skein export ID --format jsonl`): one op per line, each thread's ops
 * consecutive from v1. A thread missing here is stored with its exact ops (same ids, versions and
 * bytes); one already here at a lower version gets the ops it lacks; one at the same version is
 * unchanged. A thread whose log here differs from the file's is refused (VERSION_CONFLICT in the
 * skipped list), never overwritten.
 */
import { parseOp } from '../../model/schema.js';
import type { Op, ThreadID } from '../../model/types.js';
import { discoverFiles, importJsonLines } from '../json-lines.js';
import type { ImportContext, Importer, SourceUnit } from '../types.js';

const isMessage = (op: Op) => op.type === 'user:message' || op.type === 'assistant:message' || op.type === 'system:message';

async function applyThread(ctx: ImportContext, file: string, firstLine: number, ops: Op[]): Promise<void> {
  const id = ops[0]!.threadId;
  const sink = ctx.sink;
  for (let i = 0; i < ops.length; i++)
    if (ops[i]!.v !== ops[0]!.v + i) {
      ctx.skip(file, firstLine + i, `ops of ${id} are not consecutive versions`);
      return;
    }
  const head = await ctx.store.info(id);
  const last = ops.at(-1)!.v;
  let status: 'created' | 'updated' | 'unchanged';
  let added: Op[];
  if (!head) {
    if (ops[0]!.v !== 1) {
      ctx.skip(file, firstLine, `thread ${id} is not in the store and its ops do not start at v1`);
      return;
    }
    await ctx.store.importOps(ops);
    status = 'created';
    added = ops;
  } else if (head.v >= last) {
    const mine = await ctx.store.history(id, { fromVersion: ops[0]!.v - 1, toVersion: last });
    if (mine.some((op, i) => op.opId !== ops[i]!.opId)) {
      ctx.skip(file, firstLine, `thread ${id} here has other ops at the same versions (VERSION_CONFLICT)`);
      return;
    }
    status = 'unchanged';
    added = [];
  } else {
    added = ops.filter((op) => op.v > head.v);
    if (added[0]!.v !== head.v + 1) {
      ctx.skip(file, firstLine, `thread ${id} is at v${head.v} here; the file starts at v${ops[0]!.v}`);
      return;
    }
    await ctx.store.importOps(added);
    status = 'updated';
  }
  sink.db.putSession(`skein:${id}`, id, last, {});
  sink.touched.add(`skein:${id}`);
  const prev = sink.external.get(id);
  sink.external.set(id, prev === 'created' ? 'created' : status === 'unchanged' && prev ? prev : status);
  sink.externalMessages += added.filter(isMessage).length;
}

/** See the module comment. */
export const skeinImporter: Importer = {
  agent: 'skein',
  defaultPaths: () => [],
  discover: (path) => discoverFiles(path, (_rel, name) => name.endsWith('.jsonl')),
  async importUnit(unit: SourceUnit, ctx: ImportContext) {
    let group: Op[] = [];
    let groupLine = 0;
    const flush = async () => {
      if (group.length > 0) await applyThread(ctx, unit.path, groupLine, group);
      group = [];
    };
    await importJsonLines(
      unit,
      ctx,
      async (rec, line) => {
        let op: Op;
        try {
          op = parseOp(rec);
        } catch (err) {
          ctx.skip(unit.path, line.line, (err as Error).message);
          return;
        }
        if (group.length > 0 && group[0]!.threadId !== (op.threadId as ThreadID)) await flush();
        if (group.length === 0) groupLine = line.line;
        group.push(op);
      },
      flush,
    );
  },
};
