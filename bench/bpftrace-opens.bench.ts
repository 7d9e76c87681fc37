// What the open probes of habitwatch.bt cost per open, and whether every read of a
// sensitive path becomes an event. bench/open-storm.c opens one path N times (read-only).
//
// The probes' cost is measured by the kernel itself: with kernel.bpf_stats_enabled set
// for the run, each BPF program's fdinfo counts its runs and the nanoseconds spent in
// them. bpftrace runs a program of only the open probes (built by program.ts, like the
// agent's), so the sum of their run time over the opens of a storm, per open, is what
// every open on the node pays for them (BPF programs run in the context of the task
// that opens). That is exact where a CPU-time difference between a traced and an
// untraced run drowns in the noise of a shared machine (±800 ns for a ~200 ns effect).
// Paths: one under /usr (rejected by the first compare), /etc/hostname (shares its first
// eight bytes with /etc/shadow, so it runs further into the filter), /proc/self/stat
// (scans for the end of its pid segment: /proc/*/environ), and /etc/shadow itself
// (matched: map updates at entry, an event printed at exit).
//
// Then the whole program runs through the live source, and N opens of /etc/shadow in a
// test cgroup, paced at 2,000/s (the exec budget's rate: a burst of reads of credential
// files far beyond any workload's), must all arrive as file_open events, none lost; the
// agent's and the child's CPU per event is reported. BENCH_BPFTRACE_PROGRAM=FILE measures
// another program's probe cost (A/B; the live part always runs the shipped program).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineBench } from './harness.ts';
import { procCpu } from './agent-proc.ts';
import { sleep } from '../collector/sleep.ts';
import { liveEvents } from '../collector/sources/bpftrace/index.ts';
import { defaults } from '../collector/sources/bpftrace/config.ts';
import { buildProgram, splitBlocks, PROGRAM_FILE } from '../collector/sources/bpftrace/program.ts';
import { STRLEN } from '../collector/sources/bpftrace/parse.ts';
import { MemoryStats } from '../collector/stats.ts';
import { silentLogger } from '../collector/log.ts';
import { createTestContainer, type TestContainer } from '../test/support/cgroup.ts';

const SRC = join(import.meta.dirname, 'open-storm.c');
const STATS = '/proc/sys/kernel/bpf_stats_enabled';
const SENSITIVE_RATE = 2000;
const OPEN_TRACEPOINTS = new Set(['syscalls/sys_enter_openat', 'syscalls/sys_exit_openat', 'syscalls/sys_enter_open', 'syscalls/sys_exit_open', 'syscalls/sys_enter_openat2', 'syscalls/sys_exit_openat2']);
const PATHS: [string, string][] = [
  ['usr', '/usr/lib/os-release'],
  ['etc', '/etc/hostname'],
  ['proc', '/proc/self/stat'],
  ['sensitive', '/etc/shadow'],
];

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

interface Report {
  opens: number;
  failed: number;
  wall_s: number;
  cpu_s: number;
}


async function storm(c: TestContainer, bin: string, path: string, count: number, rate = 0): Promise<Report> {
  const { code, stdout, stderr } = await c.exec(bin, ['--path', path, '--count', String(count), '--rate', String(rate)], { timeoutMs: 600000 });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Report;
  if (code !== 0 || r.failed > 0) throw new Error(`open-storm failed (exit ${code}): ${stderr}`);
  return r;
}

/** run time and run count of every BPF program a process holds (kernel.bpf_stats_enabled) */
function progStats(pid: number): { ns: number; cnt: number[] } {
  let ns = 0;
  const cnt: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('prog_type:')) continue;
    const t = /run_time_ns:\s+(\d+)/.exec(text);
    const c = /run_cnt:\s+(\d+)/.exec(text);
    if (t) ns += Number(t[1]);
    if (c) cnt.push(Number(c[1]));
  }
  return { ns, cnt };
}

/** ns of BPF run time per open of `path`: all programs' time over the opens the busiest one saw */
async function probeNsPerOpen(c: TestContainer, bin: string, pid: number, path: string, count: number): Promise<number> {
  const a = progStats(pid);
  await storm(c, bin, path, count);
  const b = progStats(pid);
  const runs = Math.max(...b.cnt.map((n, i) => n - (a.cnt[i] ?? 0)));
  return runs > 0 ? (b.ns - a.ns) / runs : NaN;
}

export default defineBench({
  name: 'bpftrace-opens',
  budgets: {
    // every read of a sensitive path is an event; an ordinary open pays little for the filter
    bpftrace_sensitive_open_captured_ratio: ['>=', 0.99],
    bpftrace_sensitive_open_lost_events: ['<=', 0],
    bpftrace_open_probe_vs_open_ratio: ['<=', 0.25],
  },
  async run(ctx) {
    if (typeof process.geteuid === 'function' && process.geteuid() !== 0) throw new Error('bpftrace-opens bench needs root');
    const dir = join(ctx.tmp, 'open-storm');
    mkdirSync(dir, { recursive: true });
    const bin = join(dir, 'open-storm');
    execFileSync('cc', ['-O2', '-o', bin, SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
    const source = readFileSync(process.env.BENCH_BPFTRACE_PROGRAM ?? PROGRAM_FILE, 'utf8');
    const count = ctx.quick ? 50_000 : 200_000;
    const sensitiveCount = ctx.quick ? 2_000 : 10_000;
    const figures: Record<string, number> = {};
    const c = createTestContainer();
    const statsBefore = readFileSync(STATS, 'utf8').trim();
    let probes: ChildProcess | undefined;
    const ac = new AbortController();
    let consumer: Promise<void> | undefined;
    try {
      // scale: what an open (and its close) costs without tracing, least of three runs
      let plain = Infinity;
      for (let i = 0; i < 3; i++) plain = Math.min(plain, (await storm(c, bin, PATHS[0][1], count)).cpu_s / count);
      figures.bpftrace_open_untraced_ns = plain * 1e9;

      // the open probes alone, timed by the kernel
      const needs = splitBlocks(source).blocks.flatMap((b) => b.needs);
      const prog = buildProgram({ intervalS: 5, source, exclude: needs.filter((tp) => !OPEN_TRACEPOINTS.has(tp)) });
      const file = join(dir, 'opens.bt');
      writeFileSync(file, prog.text);
      writeFileSync(STATS, '1');
      let ready = false;
      probes = spawn('bpftrace', ['-f', 'json', file], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, BPFTRACE_STRLEN: String(STRLEN) } });
      probes.stdout!.setEncoding('utf8');
      probes.stdout!.on('data', (d: string) => {
        if (d.includes('"R\\t')) ready = true;
      });
      if (!(await until(() => ready, 120000))) throw new Error('bpftrace (open probes) did not become ready');
      for (const [name, path] of PATHS) {
        ctx.progress(`open probes: ${count} opens of ${path}`);
        let best = Infinity;
        for (let i = 0; i < 3; i++) best = Math.min(best, await probeNsPerOpen(c, bin, probes.pid!, path, name === 'sensitive' ? sensitiveCount : count));
        figures[`bpftrace_open_probe_ns_${name}`] = best;
      }
      figures.bpftrace_open_probe_vs_open_ratio = figures.bpftrace_open_probe_ns_usr / figures.bpftrace_open_untraced_ns;
      probes.kill('SIGINT');
      writeFileSync(STATS, statsBefore);

      // the whole program through the live source: every sensitive read is an event
      const stats = new MemoryStats();
      let child: ChildProcess | undefined;
      let liveReady = false;
      let sensitive = 0;
      const srcCtx = { node: 'bench', signal: ac.signal, log: silentLogger, stats, state: { get: () => undefined, set() {} }, now: Date.now };
      consumer = (async () => {
        for await (const batch of liveEvents({ ...defaults, intervalS: 5 }, srcCtx, { onChild: (ch) => (child = ch), onReady: () => (liveReady = true) })) {
          for (const ev of batch) if (ev.kind === 'file_open' && ev.cgroup?.id === c.cgroupId && ev.path === '/etc/shadow') sensitive++;
        }
      })();
      if (!(await until(() => liveReady, 120000))) throw new Error('bpftrace did not become ready');
      ctx.progress(`live: ${sensitiveCount} opens of /etc/shadow at ${SENSITIVE_RATE}/s`);
      const cpu0 = selfCpu();
      const child0 = child?.pid ? procCpu(child.pid) : 0;
      await storm(c, bin, '/etc/shadow', sensitiveCount, SENSITIVE_RATE);
      let last = -1;
      let still = 0;
      await until(() => {
        if (sensitive >= sensitiveCount) return true;
        still = sensitive === last ? still + 1 : 0;
        last = sensitive;
        return still > 60;
      }, 60000);
      const cpu = selfCpu() - cpu0 + (child?.pid ? procCpu(child.pid) - child0 : 0);
      figures.bpftrace_sensitive_open_captured_ratio = sensitive / sensitiveCount;
      figures.bpftrace_sensitive_open_lost_events = stats.snap.dropped.bpftrace?.lost_events ?? 0;
      figures.bpftrace_sensitive_open_cpu_s_per_10k_events = sensitive > 0 ? (cpu / sensitive) * 10000 : 0;
      return figures;
    } finally {
      if (probes && probes.exitCode === null) probes.kill('SIGINT');
      writeFileSync(STATS, statsBefore);
      ac.abort();
      await consumer;
      await c.remove();
    }
  },
});
