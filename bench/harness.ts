// The benchmark contract: each bench/<name>.bench.ts default-exports a Bench.
// Figures are ratios against a floor measured in the same run wherever possible,
// because the machines are noisy and only same-run comparisons mean anything.

export interface BenchContext {
  /** progress line on stderr (overwritten in place on a terminal) */
  progress(msg: string): void;
  /** scratch directory, removed after the run */
  tmp: string;
  /** smaller inputs for a quick run (BENCH_QUICK=1) */
  quick: boolean;
}

export interface Bench {
  name: string;
  /** figures by name; names are global across benches, snake_case with unit suffix */
  run(ctx: BenchContext): Promise<Record<string, number>>;
  /** optional budgets checked after the run: figure → [op, bound] */
  budgets?: Record<string, ['>=' | '<=', number]>;
}

export function defineBench(b: Bench): Bench {
  return b;
}

/** Time fn, returning seconds. */
export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** best-of-n timing, the usual way to tame noise */
export async function bestOf(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await time(fn));
  return best;
}

/**
 * CPU seconds (user + system) of this process while fn runs. On a shared, noisy
 * machine this is the honest measure of single-core throughput: time the process
 * spent waiting for a core does not count against it.
 */
export async function cpuTime(fn: () => unknown | Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

export async function bestCpuOf(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await cpuTime(fn));
  return best;
}

/** CPU seconds and wall seconds of one run of fn */
export async function cpuAndWall(fn: () => unknown | Promise<unknown>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return [(c.user + c.system) / 1e6, wall];
}

/** the median of a list of numbers */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
