import { asOptions, intOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { formatTime, table } from '../output.js';
import { opDetail } from '../views.js';

/** `skein log`: a thread's op history (its audit trail). */
export const logCommand: Command = {
  name: 'log',
  summary: "show a thread's op history",
  usage: 'skein log ID [--from V] [--to V]',
  details: ['--from V   ops after version V (default 0)', '--to V     ops up to version V (default: the current version)'],
  options: { from: { type: 'string' }, to: { type: 'string' } },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const fromVersion = intOpt(args.values, 'from');
    const toVersion = intOpt(args.values, 'to');
    const store = await ctx.openStore();
    const range = { ...(fromVersion !== undefined && { fromVersion }), ...(toVersion !== undefined && { toVersion }) };
    const ops = await asOptions(store.history(id, range), { fromVersion: '--from', toVersion: '--to' });
    if (ctx.json) {
      ctx.printJson({ id, ops });
      return;
    }
    if (ops.length === 0) {
      ctx.print('no ops in that range');
      return;
    }
    const rows = ops.map((op) => [String(op.v), formatTime(op.at), op.type, opDetail(op)]);
    ctx.print(...table([{ header: 'V', align: 'right' }, { header: 'AT' }, { header: 'TYPE' }, { header: 'DETAIL' }], rows));
  },
};
