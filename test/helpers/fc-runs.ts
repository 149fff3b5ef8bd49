/**
 * How many runs a fast-check property makes: the test's own count, or `SKEIN_FC_RUNS` when set
 * (for example `SKEIN_FC_RUNS=1000` to run the merge and convergence properties harder).
 */
export function fcRuns(runs: number): number {
  const env = process.env.SKEIN_FC_RUNS;
  if (env === undefined || env === '') return runs;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`SKEIN_FC_RUNS must be a positive integer, not ${env}`);
  return n;
}
