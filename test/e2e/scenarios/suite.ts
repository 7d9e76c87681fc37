// The scenario suite's runner: the real agent (a child process, like a DaemonSet pod)
// watching real workloads in pods of an emulated cluster; learning until every baseline
// is stable, a benign phase with the changes a cluster sees every day, then attack
// actions one at a time. Returns what happened, for score.ts to judge.
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Alert } from '../../../models/alert.ts';
import type { Incident } from '../../../models/incident.ts';
import { parseDuration } from '../../../agent/config/duration.ts';
import { startAgentProc, tempDir, type AgentProc } from '../../support/agent-proc.ts';
import { waitFor } from '../../support/env.ts';
import { ATTACKS, type Attack, type AttackContext } from './attacks.ts';
import { BENIGN, type BenignContext } from './benign.ts';
import { Cluster, workloadIdOf } from './cluster.ts';
import { batchRun, freePort, listening, pointClient, ROLES, startMain, type Endpoints, type Ports, type Role, type Running } from './workloads.ts';
import type { Pod } from './pod.ts';
import type { SourceSetup } from './sources.ts';

export interface SuiteOptions {
  source: SourceSetup;
  /** learning thresholds of the agent (durations) */
  minLearning: string;
  quietPeriod: string;
  /** how long the benign phase lasts (ms), after every workload is stable */
  benignMs: number;
  /** give up waiting for stability after this long (ms) */
  stableTimeoutMs: number;
  /** the workloads to run (default all); attacks and changes that need others are left out */
  roles?: readonly Role[];
  /** benign change ids to apply (default all) */
  benign?: readonly string[];
  /** attack ids to run (default all) */
  attacks?: readonly string[];
  /** the CronJob runs this often (ms): a new pod each run */
  batchEveryMs: number;
  log(msg: string): void;
}

export interface ActionRecord {
  attack: Attack;
  workloadId: string;
  start: number;
  end: number;
  error?: string;
}

export interface WorkloadRecord {
  role: Role;
  workloadId: string;
  /** when its first pod started; when its baseline was first stable (epoch ms; null: never) */
  started: number;
  learningSince: number | null;
  stableSince: number | null;
  /** its state at the end of the benign phase (relearning after an image upgrade, …) */
  stateAfterBenign?: string;
}

export interface SuiteResult {
  source: string;
  minLearningMs: number;
  quietPeriodMs: number;
  workloads: WorkloadRecord[];
  benign: { start: number; end: number; changes: { id: string; at: number; error?: string }[] };
  actions: ActionRecord[];
  alerts: Alert[];
  incidents: Incident[];
  /** the agent's log lines that were warnings or errors */
  agentProblems: string[];
}

interface WorkloadsApi {
  workloads: { id: string; containers: { state: string; learningSince: string; stableSince: string | null }[] }[];
}

async function getAll<T>(agent: AgentProc, path: string, key: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const r = await agent.api(`${path}${path.includes('?') ? '&' : '?'}limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    const page = (await r.json()) as Record<string, unknown> & { nextCursor: string | null };
    out.push(...(page[key] as T[]));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** a loopback listener that answers each connection with `reply` and closes */
async function trap(host: string, port: number, reply: string): Promise<Server | undefined> {
  const s = createServer((c: Socket) => {
    c.on('error', () => {});
    c.end(reply);
  });
  return new Promise((resolve) => {
    s.once('error', () => resolve(undefined)); // taken (another run?): the connect is reported anyway
    s.listen(port, host, () => resolve(s));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const tmp = tempDir('hw-scenarios-');
  const roles = ROLES.filter((r) => o.roles === undefined || o.roles.includes(r));
  const benign = BENIGN.filter((b) => (o.benign === undefined || o.benign.includes(b.id)) && b.roles.every((r) => roles.includes(r)));
  const running = new Map<string, Running>();
  const servers: Server[] = [];
  const batchPods = new Set<Pod>();
  let cluster: Cluster | undefined;
  let agent: AgentProc | undefined;
  let batchTimer: NodeJS.Timeout | undefined;
  let source: Awaited<ReturnType<SourceSetup['start']>> | undefined;
  const workloads: WorkloadRecord[] = roles.map((role) => ({ role, workloadId: workloadIdOf(role), started: 0, learningSince: null, stableSince: null }));
  const mine = new Set(workloads.map((w) => w.workloadId));
  try {
    cluster = await Cluster.start();
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, cluster.kubeconfigYaml());
    // one port per service, on every replica's own address
    const ports: Ports = { web: await freePort('0.0.0.0'), db: await freePort('0.0.0.0') };
    const ep: Endpoints = { web: [], db: '' };
    source = await o.source.start({ dir: tmp.dir });
    agent = await startAgentProc(tmp.dir, {
      log: { level: 'info' },
      sources: source.config,
      kubernetes: { kubeconfig },
      learning: { minLearning: o.minLearning, quietPeriod: o.quietPeriod },
    }, { timeoutMs: 60_000 });
    const a = agent;
    await waitFor(async () => (await a.api('/readyz')).ok, { timeoutMs: 90_000, intervalMs: 250, what: 'agent ready (source observing)' });
    o.log(`agent ready (${o.source.name}); starting workloads`);
    const c = cluster;

    // --- workloads: each a pod (the web service gets a replica later) ---
    const start = async (key: string, role: Role): Promise<Pod> => {
      const pod = await c.addPod(role);
      source!.enter(pod);
      if (role === 'web-client') await pointClient(pod, ports, ep);
      running.set(key, startMain(pod, role, ports, ep));
      const w = workloads.find((x) => x.role === role)!;
      if (w.started === 0) w.started = Date.now();
      return pod;
    };
    /** the web service's endpoints changed: the load generator follows */
    const repoint = async (): Promise<void> => {
      const client = running.get('web-client');
      if (client) await pointClient(client.pod, ports, ep);
    };
    for (const role of roles) {
      if (role.endsWith('-client') || role === 'batch') continue;
      const pod = await start(role, role);
      if (role === 'web') ep.web.push(pod.ip);
      if (role === 'db') ep.db = pod.ip;
    }
    if (roles.includes('web')) await listening(ep.web[0], ports.web, 'web service');
    if (roles.includes('db')) await listening(ep.db, ports.db, 'postgres', 120_000);
    for (const role of roles) if (role.endsWith('-client')) await start(role, role);
    if (roles.includes('batch')) {
      // a CronJob: every run a Job and a new pod, gone when the run ends
      let busy = false;
      const runBatch = (): void => {
        if (busy) return;
        busy = true;
        void (async () => {
          const pod = await c.addPod('batch');
          source!.enter(pod);
          batchPods.add(pod);
          const w = workloads.find((x) => x.role === 'batch')!;
          if (w.started === 0) w.started = Date.now();
          try {
            await batchRun(pod);
          } finally {
            batchPods.delete(pod);
            await c.removePod(pod);
          }
        })()
          .catch((e) => o.log(`batch run: ${String(e)}`))
          .finally(() => (busy = false));
      };
      runBatch();
      batchTimer = setInterval(runBatch, o.batchEveryMs);
    }

    // --- learning: until every workload's baseline is stable ---
    const refresh = async (): Promise<Map<string, string>> => {
      const states = new Map<string, string>();
      const r = (await (await a.api('/v1/workloads')).json()) as WorkloadsApi;
      for (const w of r.workloads) {
        if (!mine.has(w.id)) continue;
        const rec = workloads.find((x) => x.workloadId === w.id)!;
        const cs = w.containers[0];
        states.set(w.id, cs.state);
        rec.learningSince ??= Date.parse(cs.learningSince);
        if (cs.state === 'stable' && cs.stableSince && rec.stableSince === null) rec.stableSince = Date.parse(cs.stableSince);
      }
      return states;
    };
    const allStable = async (what: string): Promise<void> => {
      let states = new Map<string, string>();
      await waitFor(
        async () => {
          states = await refresh();
          return workloads.every((w) => states.get(w.workloadId) === 'stable');
        },
        { timeoutMs: o.stableTimeoutMs, intervalMs: 1000, what },
      ).catch(() => o.log(`${what}: not in time: ${workloads.filter((w) => states.get(w.workloadId) !== 'stable').map((w) => `${w.role} ${states.get(w.workloadId) ?? 'unseen'}`).join(', ')}`));
    };
    await allStable('every workload stable');
    o.log(`learning done: ${workloads.map((w) => `${w.role} ${w.stableSince ? Math.round((w.stableSince - (w.learningSince ?? w.started)) / 1000) + 's' : 'not stable'}`).join(', ')}`);

    // --- benign phase: more of the same, restarts, a replica, an upgrade, cron runs ---
    const benignStart = Date.now();
    const changes: SuiteResult['benign']['changes'] = [];
    const bctx: BenignContext = {
      pod: (role) => running.get(role)!.pod,
      restart: async (role) => {
        const r = running.get(role)!;
        await r.stop();
        running.set(role, startMain(r.pod, role, ports, ep));
      },
      startReplica: async () => {
        const pod = await start('web-replica', 'web');
        await listening(pod.ip, ports.web, 'web replica');
        ep.web.push(pod.ip);
        await repoint();
      },
      upgrade: async (role, tag) => {
        // a rolling update: the new pod up, then the old one gone
        c.upgrade(role, tag);
        const old = running.get(role)!;
        await start(role, role);
        await old.stop();
        await c.removePod(old.pod);
      },
    };
    const schedule = benign.map((b, i) => ({ b, at: benignStart + Math.round(((i + 1) * o.benignMs) / (benign.length + 1)) }));
    for (const { b, at } of schedule) {
      await sleep(at - Date.now());
      o.log(`benign: ${b.id}`);
      try {
        await b.apply(bctx);
        changes.push({ id: b.id, at: Date.now() });
      } catch (e) {
        changes.push({ id: b.id, at: Date.now(), error: String(e) });
        o.log(`benign ${b.id} failed: ${String(e)}`);
      }
    }
    await sleep(benignStart + o.benignMs - Date.now());
    const benignEnd = Date.now();
    const after = await refresh();
    for (const w of workloads) w.stateAfterBenign = after.get(w.workloadId);
    // attacks meet stable baselines (an upgraded workload relearns first)
    await allStable('every workload stable again');

    // --- attacks, one at a time ---
    const reverseHost = '127.66.6.6';
    const reversePort = await freePort(reverseHost);
    const minerHost = '127.66.6.7';
    for (const s of [await trap(reverseHost, reversePort, 'exit\n'), await trap(minerHost, 3333, '')]) if (s) servers.push(s);
    const actx: AttackContext = { bindPort: await freePort(), reverseHost, reversePort, minerHost, minerPort: 3333 };
    const actions: ActionRecord[] = [];
    const wanted = ATTACKS.filter((x) => (o.attacks === undefined || o.attacks.includes(x.id)) && roles.includes(x.role));
    for (const atk of wanted) {
      const pod = running.get(atk.role)!.pod;
      const rec: ActionRecord = { attack: atk, workloadId: pod.workloadId, start: Date.now(), end: 0 };
      o.log(`attack: ${atk.id} (${atk.technique}) in ${pod.name} via ${atk.entry}`);
      try {
        if (atk.entry === 'rce') {
          const payload = encodeURIComponent(`localhost;${atk.script(actx)}`);
          const r = await fetch(`http://${ep.web[0]}:${ports.web}/lookup?name=${payload}`, { signal: AbortSignal.timeout(30_000) });
          await r.text();
        } else {
          await pod.run(atk.script(actx), { timeoutMs: 30_000 });
        }
      } catch (e) {
        rec.error = String(e);
      }
      // long enough for the slowest signal: syscalls are aggregated per interval
      await sleep(o.source.settleMs);
      rec.end = Date.now();
      actions.push(rec);
    }

    // --- collect ---
    await sleep(1000);
    const alerts = (await getAll<Alert>(a, '/v1/alerts', 'alerts')).filter((x) => mine.has(x.workload.id));
    const incidents = (await getAll<Incident>(a, '/v1/incidents', 'incidents')).filter((x) => mine.has(x.workload.id));
    if (process.env.HW_DUMP) {
      // everything needed to study a run afterwards: alerts, incidents, baselines
      const baselines: Record<string, unknown> = {};
      for (const w of workloads) baselines[w.role] = await (await a.api(`/v1/workloads/${w.workloadId}/baseline`)).json();
      writeFileSync(process.env.HW_DUMP, JSON.stringify({ workloads, actions: actions.map((x) => ({ ...x, attack: x.attack.id })), alerts, incidents, baselines }, null, 1));
      o.log(`dumped to ${process.env.HW_DUMP}`);
    }
    const agentProblems = a
      .logs()
      .split('\n')
      .filter((l) => /"level":"(warn|error)"/.test(l))
      .slice(0, 50);
    return {
      source: o.source.name,
      minLearningMs: parseDuration(o.minLearning),
      quietPeriodMs: parseDuration(o.quietPeriod),
      workloads,
      benign: { start: benignStart, end: benignEnd, changes },
      actions,
      alerts,
      incidents,
      agentProblems,
    };
  } finally {
    if (batchTimer) clearInterval(batchTimer);
    for (const r of running.values()) await r.stop().catch(() => {});
    for (const r of running.values()) await cluster?.removePod(r.pod).catch(() => {});
    for (const p of batchPods) await cluster?.removePod(p).catch(() => {});
    for (const s of servers) s.close();
    await agent?.kill('SIGTERM');
    await source?.stop();
    await cluster?.close();
    if (!process.env.HW_KEEP) tmp.cleanup();
    else o.log(`kept ${tmp.dir}`);
  }
}
