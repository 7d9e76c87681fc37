// What the agent costs a node, live: the real agent (`habitwatch agent`, a child
// process) with the bpftrace source, measured from /proc, in three phases:
//
// 1. idle — sources started, nothing happening in the cgroups it watches (its
//    cgroupPrefixes name the bench's test cgroup): CPU over 60 s (15 s quick), from
//    30 s after it is ready (IDLE_SETTLE_MS).
// 2. recording — a short storm while a WebSocket client of /v1/stream records the
//    agent's own normalised events of the test workload (not measured).
// 3. the exec storm — bench/storm.c paced at 2,500 execs/s inside the test cgroup,
//    after a warm-up storm, in rounds (8, 3 quick; BENCH_ROUNDS=N): achieved rate,
//    events lost by bpftrace, share of the storm's execs the agent counted (its
//    baseline item's count), CPU per event of the agent and of its bpftrace child,
//    their RSS.
//
// The recorded events are replayed in this process (`replay --source events`, learning
// as live): each round is a storm segment and a replay pass back to back, in
// alternating order, and the figure is the median of the rounds' ratios of live CPU
// per event to the pass's: what running on a node adds to judging the same events
// offline, with the machine's drift met by both sides of each ratio. The storm detaches
// from the bench (bench/storm.c), so the events carry the lineage they would in a pod,
// not the chain of shells that started the bench.
//
// Why a paced C storm and not shell loops: a shell fork+exec of a dynamically linked
// binary cost so much CPU on a 2-core machine that the load itself starved bpftrace and
// the agent. The storm's execs are cheap, and pacing keeps the load at the budget's rate.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { cpuTime, defineBench, median } from './harness.ts';
import { IDLE_SETTLE_MS, idleCpu, startBenchAgent, procCpu, procRss, procThreadsCpu, type BenchAgent } from './agent-proc.ts';
import { buildStorm, runStorm, type Storm } from './storm.ts';
import { replay } from '../agent/cli/replay.ts';
import { sleep } from '../collector/sleep.ts';
import { createTestContainer, type TestContainer } from '../test/support/cgroup.ts';
import type { RuntimeEvent } from '../collector/event.ts';

/** total execs/s the storm is paced at: above the 2,000/s budget, with headroom
 *  (BENCH_BPFTRACE_RATE overrides it, to find where the source stops keeping up) */
const RATE = Number(process.env.BENCH_BPFTRACE_RATE) || 2500;

/** one counter or gauge summed over its label sets, from /metrics */
async function metric(a: BenchAgent, name: string, match = ''): Promise<number> {
  const text = await (await a.get('/metrics')).text();
  let n = 0;
  for (const l of text.split('\n')) if (l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && l.includes(match)) n += Number(l.slice(l.lastIndexOf(' ') + 1));
  return n;
}

/** how many storm execs the agent has counted: its exec item for the storm target */
async function stormExecsSeen(a: BenchAgent, workloadId: string): Promise<number> {
  const r = await a.get(`/v1/workloads/${workloadId}/baseline?kind=exec`);
  if (r.status !== 200) return 0;
  const body = (await r.json()) as { baselines: { items?: { exec?: { key: string; count: number }[] } }[] };
  let n = 0;
  for (const b of body.baselines) for (const it of b.items?.exec ?? []) if (it.key.endsWith('/storm-target')) n += it.count;
  return n;
}

/** the agent's events of one workload, as it streams them */
async function record(a: BenchAgent, workloadId: string, run: () => Promise<unknown>): Promise<RuntimeEvent[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}/v1/stream?events=true&workload=${encodeURIComponent(workloadId)}`);
  const events: RuntimeEvent[] = [];
  let closed = false;
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; events?: RuntimeEvent[] };
    if (m.type === 'events') events.push(...m.events!);
  });
  ws.on('close', () => (closed = true));
  await new Promise<void>((res, rej) => {
    ws.once('message', () => res()); // hello: subscribed
    ws.once('error', rej);
  });
  await run();
  await sleep(1500);
  if (closed) throw new Error('the stream closed the recording client (slow consumer?)');
  ws.close();
  return events;
}

/** wait until the agent counted `want` storm execs, or the count stopped moving for ~3 s */
async function drain(a: BenchAgent, workloadId: string, want: number): Promise<{ seen: number; at: number }> {
  let seen = 0;
  let last = -1;
  let still = 0;
  let at = performance.now();
  for (let i = 0; i < 1200 && seen < want && still < 30; i++) {
    seen = await stormExecsSeen(a, workloadId);
    if (seen === last) still++;
    else {
      still = 0;
      at = performance.now();
    }
    last = seen;
    if (seen < want) await sleep(100);
  }
  return { seen, at };
}

/** CPU µs per event of `replay --source events` on file, learning as live (no cut), one per pass */
async function replayCost(file: string, passes: number, want: number): Promise<number[]> {
  const per: number[] = [];
  for (let i = 0; i < passes; i++) {
    let events = 0;
    const cpu = await cpuTime(async () => {
      events = (await replay({ source: 'events', files: [file] })).events;
    });
    if (events !== want) throw new Error(`replay judged ${events} of ${want} recorded events`);
    per.push((cpu * 1e6) / events);
  }
  return per;
}

/**
 * bpftrace's own floor: the peak RSS of bpftrace running a one-probe program (a count
 * of execs in a map), attached and idle. What its runtime (LLVM, BTF, libbpf) costs
 * whatever the program; the rest of bpftrace_child_rss_mib is ours.
 */
async function bpftraceFloorRss(): Promise<number> {
  // -B none: bpftrace's text output to a pipe is otherwise buffered until it exits
  const child = spawn('bpftrace', ['-B', 'none', '-e', 'tracepoint:sched:sched_process_exec { @n = count(); } BEGIN { printf("READY\\n"); }'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((res, rej) => {
      let out = '';
      const t = setTimeout(() => rej(new Error('bpftrace (floor) not attached within 60 s')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('READY')) {
          clearTimeout(t);
          res();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        rej(new Error(`bpftrace exited (${code}) before attaching`));
      });
    });
    await sleep(1000);
    return procRss(child.pid!).peak;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      // a bpftrace that does not stop on SIGINT within 10 s is killed
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(t);
    }
  }
}

export default defineBench({
  name: 'bpftrace',
  budgets: {
    // the issue asks for zero loss and keeping up *at* 2,000 execs/s: say when the load fell short
    bpftrace_execs_per_s: ['>=', 2000],
    bpftrace_lost_events: ['<=', 0],
    bpftrace_captured_ratio: ['>=', 0.99],
    live_vs_replay_cpu_per_event_ratio: ['<=', 2.0],
    idle_cpu_ms_per_s: ['<=', 5],
  },
  async run(ctx) {
    if (typeof process.geteuid === 'function' && process.geteuid() !== 0) throw new Error('bpftrace bench needs root');
    const storm: Storm = buildStorm(join(ctx.tmp, 'bpftrace-storm'));
    const count = RATE * (ctx.quick ? 3 : 12);
    const c: TestContainer = createTestContainer();
    // a pod-style cgroup without the Kubernetes API: the pod UID names the workload
    const workloadId = `host/pod/${c.podUid}`;
    let a: BenchAgent | undefined;
    try {
      ctx.progress('starting the agent');
      a = await startBenchAgent(join(ctx.tmp, 'bpftrace-agent'), {
        // BENCH_BPFTRACE_CONFIG: more bpftrace source keys as JSON, for a same-machine A/B (e.g. {"readWindowMs":50})
        sources: { enabled: ['bpftrace'], bpftrace: { cgroupPrefixes: [c.path], ...(JSON.parse(process.env.BENCH_BPFTRACE_CONFIG ?? '{}') as object) } },
      }, { nodeArgs: [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
        // BENCH_AGENT_NODE_ARGS: more node options for the agent (e.g. --heap-prof, --trace-gc)
        ...(process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ] });
      ctx.progress('idle: settling (start-up garbage collected)');
      await sleep(ctx.quick ? 2000 : IDLE_SETTLE_MS);
      const idleSecs = ctx.quick ? 15 : 60;
      ctx.progress(`idle: ${idleSecs} s`);
      const quiet = await idleCpu(a, idleSecs);

      ctx.progress('recording the agent\'s events of a short storm');
      const recordN = Math.min(5000, count);
      // the per-interval syscall set of a cgroup has no process, which the normalised
      // format requires: left out (one event per interval)
      const recorded = (await record(a, workloadId, () => runStorm(c, storm, recordN, RATE))).filter((e) => e.process.exe !== '');
      // replayed four times over per pass (a pass then costs ~0.3 s, not a few ms of set-up)
      const file = join(ctx.tmp, 'bpftrace-recorded.jsonl');
      const lines = recorded.map((e) => JSON.stringify(e)).join('\n') + '\n';
      writeFileSync(file, lines.repeat(4));
      // the agent's first ~20,000 storm events cost it up to twice what later ones do
      // (its code is still being optimised, its young generation still growing): a node's
      // agent runs for days, so a warm-up storm comes first, not measured
      const warmN = ctx.quick ? 2500 : 10000;
      ctx.progress(`warm-up: ${warmN} execs`);
      await runStorm(c, storm, warmN, RATE);
      const before = await drain(a, workloadId, recordN + warmN);
      ctx.progress(`replaying the ${recorded.length} recorded events (warm-up)`);
      await replayCost(file, 2, recorded.length * 4);
      const replayed: number[] = [];

      // The storm in rounds, each a live segment and a replay pass back to back, the
      // order alternating: this VM's speed drifts by a third over seconds, and a live
      // phase and a replay phase measured minutes apart carried that drift into their
      // ratio (2.88 and 3.65 for the same live path). Each round's ratio meets one drift;
      // the figure is their median.
      const rounds = Number(process.env.BENCH_ROUNDS) || (ctx.quick ? 3 : 8);
      const per = Math.ceil(count / rounds);
      const bp = a.bpftracePid();
      if (!bp) throw new Error('no bpftrace child');
      const lost0 = await metric(a, 'habitwatch_events_dropped_total', 'reason="lost_events"');
      const tot = { cpu: 0, other: 0, child: 0, events: 0, commits: 0, execs: 0, seen: 0, wall: 0, stormCpu: 0, drain: 0 };
      let seen = before.seen;
      const segment = async (): Promise<number> => {
        const recv0 = await metric(a!, 'habitwatch_events_received_total', 'source="bpftrace"');
        // every storm exec repeats one open alert: each commit of the store adds one repeat
        const repeats0 = await metric(a!, 'habitwatch_alert_repeats_total', 'rule="exec-writable-path"');
        // after the bench's scrapes of /metrics (a few ms of the agent's CPU each), before and
        // after the segment: what the agent pays for them is not the storm's
        const cpu0 = procCpu(a!.pid);
        const threads0 = procThreadsCpu(a!.pid);
        const child0 = procCpu(bp);
        const report = await runStorm(c, storm, per, RATE);
        const stormEnd = performance.now();
        const after = await drain(a!, workloadId, seen + report.execs);
        // the repeats judged last wait up to 250 ms for their commit (agent/waiting-repeats.ts)
        await sleep(300);
        const cpu = procCpu(a!.pid) - cpu0;
        const threads1 = procThreadsCpu(a!.pid);
        tot.other += (threads1.get('other') ?? 0) - (threads0.get('other') ?? 0);
        tot.child += procCpu(bp) - child0;
        const events = (await metric(a!, 'habitwatch_events_received_total', 'source="bpftrace"')) - recv0;
        tot.commits += (await metric(a!, 'habitwatch_alert_repeats_total', 'rule="exec-writable-path"')) - repeats0;
        tot.cpu += cpu;
        tot.events += events;
        tot.execs += report.execs;
        tot.seen += after.seen - seen;
        tot.wall += report.wall_s;
        tot.stormCpu += report.cpu_s;
        tot.drain = Math.max(tot.drain, Math.max(0, after.at - stormEnd) / 1000);
        seen = after.seen;
        if (events <= 0) throw new Error('the agent received no storm events');
        return (cpu / events) * 1e6;
      };
      const liveUs: number[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        ctx.progress(`round ${r + 1} of ${rounds}: ${per} execs at ${RATE}/s and a replay pass`);
        let live: number;
        let rep: number;
        if (r % 2 === 0) {
          live = await segment();
          rep = (await replayCost(file, 1, recorded.length * 4))[0];
        } else {
          rep = (await replayCost(file, 1, recorded.length * 4))[0];
          live = await segment();
        }
        liveUs.push(live);
        replayed.push(rep);
        ctx.progress(`round ${r + 1}: live ${live.toFixed(1)} µs per event, replay ${rep.toFixed(1)}: ${(live / rep).toFixed(2)}`);
        ratios.push(live / rep);
      }
      const lost = (await metric(a, 'habitwatch_events_dropped_total', 'reason="lost_events"')) - lost0;
      const agentRss = procRss(a.pid);
      const childRss = procRss(bp);
      const replayUs = median(replayed);
      const floorRss = async (): Promise<number> => {
        ctx.progress('bpftrace\'s own floor: a one-probe program');
        return bpftraceFloorRss();
      };
      return {
        bpftrace_execs_per_s: tot.execs / tot.wall,
        bpftrace_lost_events: lost,
        bpftrace_captured_ratio: tot.seen / tot.execs,
        bpftrace_events_total: tot.events,
        // storm events per commit of the alert's repeats (batch size, as the store sees it)
        live_events_per_commit: tot.commits > 0 ? tot.events / tot.commits : 0,
        // the longest, from a round's storm end to the agent counting its last exec (polled every 100 ms)
        bpftrace_drain_s: tot.drain,
        bpftrace_agent_cpu_s_per_10k_events: (tot.cpu / tot.events) * 10000,
        bpftrace_child_cpu_s_per_10k_events: (tot.child / tot.events) * 10000,
        bpftrace_storm_cpu_s_per_10k_execs: (tot.stormCpu / tot.execs) * 10000,
        bpftrace_child_rss_mib: childRss.peak,
        live_agent_rss_mib: agentRss.peak,
        live_agent_cpu_us_per_event: median(liveUs),
        // the event loop's share and V8's and libuv's threads' (concurrent marking and sweeping)
        live_agent_other_threads_cpu_share: tot.cpu > 0 ? tot.other / tot.cpu : 0,
        live_replay_cpu_us_per_event: replayUs,
        live_vs_replay_cpu_per_event_ratio: median(ratios),
        live_vs_replay_ratio_min: Math.min(...ratios),
        live_vs_replay_ratio_max: Math.max(...ratios),
        idle_cpu_ms_per_s: quiet.agentMsPerS,
        idle_bpftrace_child_cpu_ms_per_s: quiet.childMsPerS,
        bpftrace_floor_rss_mib: await floorRss(),
      };
    } finally {
      await a?.stop();
      await c.remove();
    }
  },
});
