import { ErrorCode, SkeinError } from '../../index.js';
import { doctorStore } from '../../lifecycle/doctor.js';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { storeExists } from '../context.js';

/** `skein doctor`: checks the store's databases and archive entries for corruption. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the store for corruption (databases and archive entries)',
  usage: 'skein doctor',
  details: [
    'runs PRAGMA integrity_check on the store and sync databases and verifies every archive entry',
    'reads only; exits non-zero when something is damaged (restore that from a backup)',
  ],
  options: {},
  async run(args, ctx) {
    expectPositionals(args, []);
    if (!storeExists(ctx.dir)) throw new SkeinError(ErrorCode.NOT_FOUND, `no skein store in ${ctx.dir}`);
    const r = doctorStore(ctx.dir);
    if (ctx.json) ctx.printJson(r);
    else {
      const line = (name: string, c: { ok: boolean; problems: string[] }) =>
        c.ok ? [`${name}: ok`] : [`${name}: DAMAGED`, ...c.problems.slice(0, 20).map((p) => `  ${p}`)];
      ctx.print(...line(`database ${r.database.file}${r.database.uncleanShutdown ? ' (left by an unclean shutdown)' : ''}`, r.database));
      if (r.sync) ctx.print(...line(`sync state ${r.sync.file}`, r.sync));
      ctx.print(`archive: ${r.archive.checked} ${r.archive.checked === 1 ? 'entry' : 'entries'} checked${r.archive.corrupted.length ? `, ${r.archive.corrupted.length} corrupted` : ', all intact'}`);
      for (const c of r.archive.corrupted) ctx.print(`  ${c.id}: ${c.problem}`);
    }
    if (!r.ok) throw new SkeinError(ErrorCode.INTERNAL, 'the store is damaged (see the report above); restore the damaged parts from a backup');
  },
};
