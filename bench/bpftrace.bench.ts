// bpftrace source under an exec storm: parallel /bin/sh loops exec'ing /bin/true inside
// a test cgroup while the live source runs. Figures: achieved exec rate, events lost by
// bpftrace (lost-event records), share of the storm's execs captured, and CPU cost per
// 10k events for the agent (parsing) and the bpftrace child.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { defineBench } from './harness.ts';
import { liveEvents } from '../collector/sources/bpftrace/index.ts';
import { defaults } from '../collector/sources/bpftrace/config.ts';
import { MemoryStats } from '../collector/stats.ts';
import { silentLogger } from '../collector/log.ts';
import { createTestContainer } from '../test/support/cgroup.ts';

const TICKS = 100; // USER_HZ on Linux

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
    await new Promise((r) => setTimeout(r, 50));
  }
  return fn();
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
    const loops = 8; // more loops than cores: each one mostly waits on fork/exec
    const perLoop = ctx.quick ? 500 : 2000;
    const c = createTestContainer();
    const stats = new MemoryStats();
    const ac = new AbortController();
    let child: ChildProcess | undefined;
    let ready = false;
    let seen = 0;
    const srcCtx = { node: 'bench', signal: ac.signal, log: silentLogger, stats, state: { get: () => undefined, set() {} }, now: Date.now };
    const consumer = (async () => {
      for await (const batch of liveEvents({ ...defaults, intervalS: 5 }, srcCtx, { onChild: (ch) => (child = ch), onReady: () => (ready = true) })) {
        for (const ev of batch) {
          if (ev.kind === 'exec' && ev.cgroup?.id === c.cgroupId && ev.process.args[1] === 'hw-bench') seen++;
        }
      }
    })();
    try {
      if (!(await until(() => ready, 60000))) throw new Error('bpftrace did not become ready');
      ctx.progress(`storm: ${loops} loops × ${perLoop} execs`);
      const cpu0 = selfCpu();
      const child0 = child?.pid ? procCpu(child.pid) : 0;
      const recv0 = stats.snap.received.bpftrace ?? 0;
      const t0 = process.hrtime.bigint();
      const script = `i=0; while [ $i -lt ${perLoop} ]; do /bin/true hw-bench; i=$((i+1)); done`;
      const runs = await Promise.all(Array.from({ length: loops }, () => c.run(script, { timeoutMs: 600000 })));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      for (const r of runs) if (r.code !== 0) throw new Error(`storm loop failed: ${r.stderr}`);
      const made = loops * perLoop;
      ctx.progress(`storm done in ${wall.toFixed(1)} s; draining`);
      // drain: wait until every exec arrived or the count stops moving
      let last = -1;
      let still = 0;
      await until(() => {
        if (seen >= made) return true;
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
        bpftrace_execs_per_s: made / wall,
        bpftrace_lost_events: lost,
        bpftrace_captured_ratio: seen / made,
        bpftrace_events_total: events,
        bpftrace_cpu_s_per_10k_events: events > 0 ? (cpu / events) * 10000 : 0,
        bpftrace_child_cpu_s_per_10k_events: events > 0 ? (childCpu / events) * 10000 : 0,
      };
    } finally {
      ac.abort();
      await consumer;
      await c.remove();
    }
  },
});
