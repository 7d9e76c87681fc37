// bpftrace source under an exec storm: bench/storm.c, compiled here, runs inside a test
// cgroup and posix_spawns a tiny static binary (`storm-target hw-bench`) at a paced
// rate from a few worker processes while the live source runs. Figures: achieved exec
// rate (as the storm measured it), events lost by bpftrace (lost-event records), share
// of the storm's execs captured, how long the agent needed after the storm to catch up,
// CPU cost per 10k events for the agent (parsing) and the bpftrace child, and the
// storm's own CPU per 10k execs (it includes the in-kernel probe cost: BPF programs run
// in the context of the task that hits the tracepoint).
//
// Why a paced C storm and not shell loops: a shell fork+exec of a dynamically linked
// binary cost so much CPU on a 2-core machine that the load itself starved bpftrace and
// the agent, and still fell short of 2,000 execs/s. The storm's execs are cheap, and
// pacing keeps the load at the budget's rate instead of an unbounded CPU-starving storm.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineBench } from './harness.ts';
import { sleep } from '../collector/sleep.ts';
import { liveEvents } from '../collector/sources/bpftrace/index.ts';
import { defaults } from '../collector/sources/bpftrace/config.ts';
import { MemoryStats } from '../collector/stats.ts';
import { silentLogger } from '../collector/log.ts';
import { createTestContainer, type TestContainer } from '../test/support/cgroup.ts';

const TICKS = 100; // USER_HZ on Linux
/** total execs/s the storm is paced at: above the 2,000/s budget, with headroom
 *  (BENCH_BPFTRACE_RATE overrides it, to find where the source stops keeping up) */
const RATE = Number(process.env.BENCH_BPFTRACE_RATE) || 2500;
/** storm worker processes: one worker is bound by exec latency (~2,200/s here untraced) */
const WORKERS = 4;
const STORM_SRC = join(import.meta.dirname, 'storm.c');

/** utime+stime of a pid in seconds */
function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function until(fn: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(50);
  }
  return fn();
}

/** the storm and its exec target, built from bench/storm.c into dir */
function buildStorm(dir: string): { storm: string; target: string } {
  mkdirSync(dir, { recursive: true });
  const storm = join(dir, 'storm');
  const target = join(dir, 'storm-target');
  execFileSync('cc', ['-O2', '-o', storm, STORM_SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('cc', ['-O2', '-static', '-nostdlib', '-fno-stack-protector', '-DSTORM_TARGET', '-o', target, STORM_SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { storm, target };
}

interface StormReport {
  execs: number;
  failed: number;
  wall_s: number;
  rate: number;
  cpu_s: number;
}

/** runs the storm inside the test cgroup (every process it makes inherits the cgroup) */
async function runStorm(c: TestContainer, storm: string, args: string[], timeoutMs: number): Promise<StormReport> {
  const { code, stdout, stderr } = await c.exec(storm, args, { timeoutMs });
  let r: StormReport;
  try {
    r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as StormReport;
  } catch {
    throw new Error(`storm printed no report (exit ${code}): ${stderr}${stdout}`);
  }
  if (code !== 0 || r.failed > 0) throw new Error(`storm failed (exit ${code}, ${r.failed} failed execs): ${stderr}`);
  return r;
}

export default defineBench({
  name: 'bpftrace',
  budgets: {
    // the issue asks for zero loss and keeping up *at* 2,000 execs/s: say when the load fell short
    bpftrace_execs_per_s: ['>=', 2000],
    bpftrace_lost_events: ['<=', 0],
    bpftrace_captured_ratio: ['>=', 0.99],
  },
  async run(ctx) {
    if (typeof process.geteuid === 'function' && process.geteuid() !== 0) throw new Error('bpftrace bench needs root');
    const { storm, target } = buildStorm(join(ctx.tmp, 'bpftrace-storm'));
    const count = RATE * (ctx.quick ? 3 : 12);
    const c = createTestContainer();
    const stats = new MemoryStats();
    const ac = new AbortController();
    let child: ChildProcess | undefined;
    let ready = false;
    let seen = 0;
    let lastSeenAt = 0;
    const srcCtx = { node: 'bench', signal: ac.signal, log: silentLogger, stats, state: { get: () => undefined, set() {} }, now: Date.now };
    const consumer = (async () => {
      for await (const batch of liveEvents({ ...defaults, intervalS: 5 }, srcCtx, { onChild: (ch) => (child = ch), onReady: () => (ready = true) })) {
        for (const ev of batch) {
          if (ev.kind === 'exec' && ev.cgroup?.id === c.cgroupId && ev.process.args[1] === 'hw-bench') {
            seen++;
            lastSeenAt = performance.now();
          }
        }
      }
    })();
    try {
      if (!(await until(() => ready, 60000))) throw new Error('bpftrace did not become ready');
      ctx.progress(`storm: ${count} execs at ${RATE}/s from ${WORKERS} workers`);
      const cpu0 = selfCpu();
      const child0 = child?.pid ? procCpu(child.pid) : 0;
      const recv0 = stats.snap.received.bpftrace ?? 0;
      const args = ['--target', target, '--arg', 'hw-bench', '--count', String(count), '--rate', String(RATE), '--workers', String(WORKERS)];
      const report = await runStorm(c, storm, args, 600000);
      const stormEnd = performance.now();
      ctx.progress(`storm done: ${report.execs} execs in ${report.wall_s.toFixed(1)} s (${Math.round(report.rate)}/s); draining`);
      // drain: wait until every exec arrived or the count stops moving
      let last = -1;
      let still = 0;
      await until(() => {
        if (seen >= report.execs) return true;
        if (seen === last) still++;
        else still = 0;
        last = seen;
        return still > 60; // ~3 s without progress
      }, 120000);
      const cpu = selfCpu() - cpu0;
      const childCpu = child?.pid ? procCpu(child.pid) - child0 : 0;
      const events = (stats.snap.received.bpftrace ?? 0) - recv0;
      const lost = stats.snap.dropped.bpftrace?.lost_events ?? 0;
      return {
        bpftrace_execs_per_s: report.rate,
        bpftrace_lost_events: lost,
        bpftrace_captured_ratio: seen / report.execs,
        bpftrace_events_total: events,
        // time from the storm's end to its last exec event reaching the consumer: the agent's lag
        bpftrace_drain_s: Math.max(0, lastSeenAt - stormEnd) / 1000,
        bpftrace_cpu_s_per_10k_events: events > 0 ? (cpu / events) * 10000 : 0,
        bpftrace_child_cpu_s_per_10k_events: events > 0 ? (childCpu / events) * 10000 : 0,
        bpftrace_storm_cpu_s_per_10k_execs: (report.cpu_s / report.execs) * 10000,
      };
    } finally {
      ac.abort();
      await consumer;
      await c.remove();
    }
  },
});
