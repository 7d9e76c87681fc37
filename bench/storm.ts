// The exec storm of bench/storm.c, shared by the benches that load a node with execs:
// compiled with `cc` into a scratch dir, run inside a test cgroup (every process it
// makes inherits the cgroup), paced open-loop at a given rate; it reports what it
// achieved and its own CPU (which includes the in-kernel probe cost: BPF programs run
// in the context of the task that hits the tracepoint).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContainer } from '../test/support/cgroup.ts';

const STORM_SRC = join(import.meta.dirname, 'storm.c');
/** storm worker processes: one worker is bound by exec latency (~2,200/s here untraced) */
export const STORM_WORKERS = 4;
/** the argv[1] every storm exec carries, so a consumer can count only the storm's execs */
export const STORM_ARG = 'hw-bench';

export interface Storm {
  storm: string;
  target: string;
}

/** the storm and its exec target, built from bench/storm.c into dir */
export function buildStorm(dir: string): Storm {
  mkdirSync(dir, { recursive: true });
  const storm = join(dir, 'storm');
  const target = join(dir, 'storm-target');
  execFileSync('cc', ['-O2', '-o', storm, STORM_SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('cc', ['-O2', '-static', '-nostdlib', '-fno-stack-protector', '-DSTORM_TARGET', '-o', target, STORM_SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { storm, target };
}

export interface StormReport {
  execs: number;
  failed: number;
  wall_s: number;
  rate: number;
  cpu_s: number;
}

/** runs count execs at rate/s inside the test cgroup and returns the storm's report */
export async function runStorm(c: TestContainer, s: Storm, count: number, rate: number, timeoutMs = 600000): Promise<StormReport> {
  const args = ['--target', s.target, '--arg', STORM_ARG, '--count', String(count), '--rate', String(rate), '--workers', String(STORM_WORKERS)];
  const { code, stdout, stderr } = await c.exec(s.storm, args, { timeoutMs });
  let r: StormReport;
  try {
    r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as StormReport;
  } catch {
    throw new Error(`storm printed no report (exit ${code}): ${stderr}${stdout}`);
  }
  if (code !== 0 || r.failed > 0) throw new Error(`storm failed (exit ${code}, ${r.failed} failed execs): ${stderr}`);
  return r;
}
