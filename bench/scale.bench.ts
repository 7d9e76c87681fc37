// Memory at scale (issue 16): the real agent (a child process, bench/agent-proc.ts)
// started on a database of 400 workloads with full, stable baselines — 200 exec items
// (each with parents and argument patterns), 500 file patterns, 50 destinations and
// 100 syscalls: 850 items each, 340,000 in all — then judging events of every one of
// them, read from a followed events file. The figure is the agent's peak RSS (VmHWM)
// from start to the last event judged, the agent run as it ships: with the base
// DaemonSet's NODE_OPTIONS (the V8 heap sized inside the pod's memory limit, not from
// the machine's memory). Beside it, the heap one item costs in a Baseline, measured in
// this process.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defineBench } from './harness.ts';
import { startBenchAgent, procRss, type BenchAgent } from './agent-proc.ts';
import { sleep } from '../collector/sleep.ts';
import { Baseline, type BaselineMeta } from '../models/baseline/baseline.ts';
import type { Item } from '../models/baseline/items.ts';
import type { RuntimeEvent } from '../collector/event.ts';
import { openDatabase } from '../agent/store/db.ts';
import { BaselineStore } from '../agent/store/baselines.ts';

const WORKLOADS = 400;
const T0 = Date.parse('2026-06-01T00:00:00Z');

const workloadId = (w: number): string => `ns${w % 20}/Deployment/app${w}`;
const exe = (i: number): string => `/usr/lib/tool${i % 10}/bin/prog${i}`;
const file = (i: number): string => `/var/lib/app/data${i % 25}/file-${i}.db`;
const dest = (i: number): [string, number] => [`10.${i}.3.${i}`, 5000 + (i % 4)];

function meta(w: number): BaselineMeta {
  return {
    workloadId: workloadId(w),
    container: 'main',
    namespace: `ns${w % 20}`,
    workloadKind: 'Deployment',
    workloadName: `app${w}`,
    image: `registry.example.com/team/app${w}@sha256:${'ab'.repeat(32)}`,
    version: 1,
    state: 'stable',
    createdAt: T0,
    learningSince: T0,
    lastNewItemAt: T0,
    stableSince: T0 + 600_000,
    lockedBy: null,
    unstableReason: null,
    collapsed: {},
  };
}

/** one workload's full baseline, as the agent would have learned it */
export function fullBaseline(w: number): Baseline {
  const b = new Baseline(meta(w));
  const item = (key: string, detail?: Item['detail']): Item => ({ key, count: 17, firstSeen: T0, lastSeen: T0 + 60_000, nodes: ['node-a'], ...(detail ? { detail } : {}) });
  for (let i = 0; i < 200; i++) b.putItem('exec', item(exe(i), { parents: ['/usr/bin/bash', '/usr/local/bin/app'], args: ['--port *', '-c /etc/app/*.conf', 'run'] }));
  for (let i = 0; i < 500; i++) b.putItem('file_write', item(file(i), { ops: ['create', 'write'] }));
  for (let i = 0; i < 50; i++) b.putItem('connect', item(`tcp ${dest(i)[0]}:${dest(i)[1]}`));
  for (let i = 0; i < 100; i++) b.putItem('syscall', item(`sys_${i}`));
  return b;
}

/** events of workload w that its baseline knows (and one in 50 it does not) */
function events(w: number, n: number, t: number): RuntimeEvent[] {
  const out: RuntimeEvent[] = [];
  for (let k = 0; k < n; k++) {
    const i = (k * 7 + w) % 200;
    const env = {
      time: t + k,
      node: 'node-a',
      source: 'events',
      process: { pid: 1000 + k, ppid: 999, exe: exe(i), args: [exe(i), 'run'], uid: 1000, ancestors: [{ pid: 999, exe: '/usr/bin/bash' }] },
      workload: { id: workloadId(w), namespace: `ns${w % 20}`, kind: 'Deployment', name: `app${w}`, container: 'main' },
      enrichment: 'complete' as const,
    };
    const r = k % 4;
    if (k % 50 === 49) out.push({ ...env, kind: 'exec', process: { ...env.process, exe: '/tmp/x', args: ['/tmp/x'] } });
    else if (r === 0) out.push({ ...env, kind: 'exec' });
    else if (r === 1) out.push({ ...env, kind: 'file_write', path: file((k * 13 + w) % 500), op: 'write' });
    else if (r === 2) out.push({ ...env, kind: 'connect', proto: 'tcp', dstAddr: dest(k % 50)[0], dstPort: dest(k % 50)[1] });
    else out.push({ ...env, kind: 'syscall', names: [`sys_${k % 100}`, `sys_${(k + 1) % 100}`] });
  }
  return out;
}

/** heap bytes per item of full baselines, in this process */
function bytesPerItem(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const keep: Baseline[] = [];
  for (let w = 0; w < 100; w++) keep.push(fullBaseline(w));
  for (const b of keep) b.dirty.clear();
  gc();
  const h1 = process.memoryUsage().heapUsed;
  return (h1 - h0) / (keep.length * 850);
}

async function received(a: BenchAgent): Promise<number> {
  const text = await (await a.get('/metrics')).text();
  let n = 0;
  for (const l of text.split('\n')) if (l.startsWith('habitwatch_events_received_total{')) n += Number(l.slice(l.lastIndexOf(' ') + 1));
  return n;
}

export default defineBench({
  name: 'scale',
  budgets: { rss_mib_400_workloads: ['<=', 256] },
  async run(ctx) {
    const dir = join(ctx.tmp, 'scale');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    ctx.progress(`writing ${WORKLOADS} full baselines`);
    const db = openDatabase(join(dataDir, 'habitwatch.db'));
    const store = new BaselineStore(db);
    for (let w = 0; w < WORKLOADS; w += 50) {
      const bs: Baseline[] = [];
      for (let v = w; v < Math.min(WORKLOADS, w + 50); v++) bs.push(fullBaseline(v));
      store.flush(bs, T0);
    }
    db.close();
    const evFile = join(dir, 'events.jsonl');
    writeFileSync(evFile, '');
    const perWorkload = ctx.quick ? 20 : 100;
    ctx.progress('starting the agent');
    // the agent as it ships (startBenchAgent: the base DaemonSet's NODE_OPTIONS);
    // BENCH_AGENT_NODE_ARGS: more node options for it (e.g. --trace-gc, with BENCH_AGENT_LOG)
    const a = await startBenchAgent(dir, {
      dataDir,
      sources: { enabled: ['events'], events: { paths: [evFile], follow: true } },
    }, { nodeArgs: (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean) });
    try {
      const startRss = procRss(a.pid);
      ctx.progress(`judging ${perWorkload} events of each of ${WORKLOADS} workloads`);
      let t = T0 + 86_400_000;
      // two rounds over every workload: each is loaded, judged, and judged again
      for (let round = 0; round < 2; round++) {
        for (let w = 0; w < WORKLOADS; w += 20) {
          const lines: string[] = [];
          for (let v = w; v < w + 20; v++) for (const e of events(v, perWorkload / 2, t)) lines.push(JSON.stringify(e));
          appendFileSync(evFile, lines.join('\n') + '\n');
          t += 1000;
        }
      }
      const want = WORKLOADS * perWorkload;
      for (let i = 0; i < 600 && (await received(a)) < want; i++) await sleep(100);
      const got = await received(a);
      if (got < want) throw new Error(`the agent received ${got} of ${want} events`);
      const rss = procRss(a.pid);
      return {
        rss_mib_400_workloads: rss.peak,
        rss_mib_400_workloads_after: rss.rss,
        rss_mib_at_ready_400_workloads: startRss.peak,
        baseline_bytes_per_item: bytesPerItem(),
      };
    } finally {
      await a.stop();
    }
  },
});
