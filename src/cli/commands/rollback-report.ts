/**
 * How `rollback` and `rewind` print what they did, and the exit status they end with: a conflict
 * or a failure is reported on stderr (exit 1) after the result is printed in full.
 */
import { ErrorCode, SkeinError, type RollbackResult } from '../../index.js';
import type { CliContext } from '../context.js';
import { plural } from '../output.js';

/** Prints a rollback result; throws (exit 1) when a file was left in conflict or could not be reverted. */
export function reportRollback(ctx: CliContext, result: RollbackResult, extra: Record<string, unknown>): void {
  if (ctx.json) ctx.printJson({ ...extra, ...result });
  else {
    for (const p of result.reverted) ctx.print(`reverted  ${p}`);
    for (const p of result.alreadyReverted) ctx.print(`already   ${p}`);
    for (const p of result.conflicts) ctx.print(`conflict  ${p}  (changed since the agent wrote it; --force to revert anyway)`);
    for (const f of result.failed) ctx.print(`failed    ${f.path}  ${f.error}`);
    if (result.reverted.length + result.alreadyReverted.length + result.conflicts.length + result.failed.length === 0) ctx.print('nothing to revert');
  }
  if (result.failed.length > 0)
    throw new SkeinError(ErrorCode.INTERNAL, `${plural(result.failed.length, 'file')} could not be reverted`, { details: { failed: result.failed } });
  if (result.conflicts.length > 0)
    throw new SkeinError(ErrorCode.FILE_CONFLICT, `${plural(result.conflicts.length, 'file')} left untouched: changed since the agent wrote them (--force reverts them)`);
}
