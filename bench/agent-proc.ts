// The real agent (`habitwatch agent --config FILE`) as a child process, for benches
// that measure what a node pays: its CPU and RSS, and those of the bpftrace child it
// starts, read from /proc (time spent waiting for a core does not count). It runs what
// ships: the compiled dist/, built from this tree once per bench process, with the base
// DaemonSet's NODE_OPTIONS (the V8 heap caps).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { baseDaemonSet } from '../test/support/daemonset.ts';

const REPO = join(import.meta.dirname, '..');
const TICKS = 100; // USER_HZ on Linux

/** utime+stime of a pid in seconds (0 when it is gone) */
export function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of a pid's threads: `main` (the event loop, tid = pid) and `other` (V8's and libuv's threads) */
export function procThreadsCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : 'other';
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * How long an agent settles after it is ready before its idle CPU is measured. V8's
 * memory reducer shrinks the start-up heap 10–16 s after start (one or two
 * mark-compacts: ~60 MB committed down to ~19, 70–90 ms of CPU on the event loop and
 * V8's threads), once; a 60 s window opened 5 s after ready counted it as ~1.3 ms/s of
 * idling (docs/performance.md, session 10).
 */
export const IDLE_SETTLE_MS = 30_000;

/** CPU ms per second of the agent and of its bpftrace child (0 without one) over `secs` of doing nothing */
export async function idleCpu(a: BenchAgent, secs: number): Promise<{ agentMsPerS: number; childMsPerS: number }> {
  const bp = a.bpftracePid();
  const c0 = procCpu(a.pid);
  const b0 = bp ? procCpu(bp) : 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, secs * 1000));
  const wall = (performance.now() - t0) / 1000;
  return { agentMsPerS: ((procCpu(a.pid) - c0) * 1000) / wall, childMsPerS: bp ? ((procCpu(bp) - b0) * 1000) / wall : 0 };
}

/** VmRSS and VmHWM (peak) of a pid in MiB */
export function procRss(pid: number): { rss: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** direct children of a pid (every thread's list) */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) for (const x of c.split(' ')) out.push(Number(x));
    }
  } catch {
    /* gone */
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

let built = false;
/** `npm run build`: dist/ from this tree's sources, so a bench never measures a stale build */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [join(REPO, 'bin/build.js')], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}

export interface BenchAgent {
  child: ChildProcess;
  pid: number;
  port: number;
  /** the bpftrace child's pid, once it runs */
  bpftracePid(): number | undefined;
  logs(): string;
  /** GET on the API (the bench's config has no tokens) */
  get(path: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Start the agent with cfg (merged over bench defaults) and wait until /readyz says it
 * observes. nodeArgs go to node itself (e.g. --cpu-prof).
 */
/** the compiled CLI (bin/habitwatch.js, running dist/), built from this tree first */
export function builtCli(): string {
  buildOnce();
  return join(REPO, 'bin/habitwatch.js');
}

export async function startBenchAgent(dir: string, cfg: Record<string, unknown>, opts: { nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<BenchAgent> {
  buildOnce();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, stringify({ node: 'bench', dataDir: join(dir, 'data'), log: { level: 'info' }, api: { listen: '127.0.0.1:0' }, ...cfg }));
  // as it ships: the base DaemonSet's NODE_OPTIONS (heap limits) first, then the bench's own
  const shipped = baseDaemonSet().nodeOptions.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...shipped, ...(opts.nodeArgs ?? []), join(REPO, 'bin/habitwatch.js'), 'agent', '--config', file], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // BENCH_AGENT_LOG=FILE: the agent's whole output there too (e.g. with --trace-gc)
  const log = process.env.BENCH_AGENT_LOG;
  const keep = (d: Buffer): void => {
    if (log) appendFileSync(log, d);
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const deadline = Date.now() + (opts.timeoutMs ?? 90000);
  let port = 0;
  for (;;) {
    if (exited) throw new Error(`agent exited early:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`agent not ready in time:\n${out.slice(-4000)}`);
    }
    const line = out.split('\n').find((l) => l.includes('"api listening"'));
    if (line) {
      port = (JSON.parse(line) as { port: number }).port;
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (r?.status === 200) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  let bpf: number | undefined;
  return {
    child,
    pid,
    port,
    bpftracePid() {
      if (bpf !== undefined && comm(bpf) === 'bpftrace') return bpf;
      bpf = childPids(pid).find((c) => comm(c) === 'bpftrace');
      return bpf;
    },
    logs: () => out,
    get: (path) => fetch(`http://127.0.0.1:${port}${path}`),
    async stop() {
      if (!exited) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      await exit;
      clearTimeout(t);
    },
  };
}
