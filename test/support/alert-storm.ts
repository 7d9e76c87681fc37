// An alert storm through the live agent (events source, follow mode): W workloads each
// raise 4 distinct alerts (exec from /tmp, a write into /usr/bin, miner-port egress, a
// listener by nc) and repeat them R times — W·(4+R) events, 4·W distinct alerts. While
// the agent works through it, /readyz is polled (latency), its RSS is sampled, it can be
// stopped with SIGTERM part-way and started again; at the end the database is checked.
// Shared by the storm test (test/e2e/storm.test.ts, `npm run storm`) and the bench
// (bench/alert-storm.bench.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { startAlertReceiver } from './alert-receiver.ts';

export const DISTINCT_PER_WORKLOAD = 4;

export interface StormOptions {
  dir: string;
  workloads: number;
  /** repeats of each workload's alerting events (fold into their alerts' counts) */
  repeats: number;
  /** how to start the agent: argv after node (a script and its first arguments) */
  agent: string[];
  /** SIGTERM once this fraction of the input is committed, then start again (the
   * agent is also stopped at the end, started again on the full database — restartReadyS —
   * and stopped once more: every stop is in `stops`) */
  sigtermAt?: number;
  /** extra agent config merged over the storm's */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  progress?: (msg: string) => void;
  /** give up after this long */
  timeoutMs?: number;
}

export interface StormResult {
  events: number;
  expectedAlerts: number;
  /** alerts in the database (not counting the agent's own) */
  storedAlerts: number;
  /** distinct (workload, rule) pairs stored, of expectedAlerts */
  storedPairs: number;
  wallS: number;
  /** from starting the agent again on the storm's database to /readyz 200 */
  restartReadyS: number;
  alertsPerS: number;
  readyzP99Ms: number;
  readyzMaxMs: number;
  readyzPolls: number;
  /** polls that got no 200 (a stopped or starting agent is not counted) */
  readyzNotReady: number;
  peakRssMiB: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** how long each SIGTERM took to end the agent, and its exit codes */
  stops: { ms: number; code: number | null }[];
  /** deliveries the webhook sink dropped on purpose (maxQueue, maxAge) */
  deliveriesDropped: number;
  /** agent-* rules stored, with their counts */
  selfAlerts: Record<string, number>;
  /** detail of the agent-alerts-dropped self-alert */
  droppedDetail: string | undefined;
  delivered: number;
}

/**
 * The lines of workload w: its DISTINCT_PER_WORKLOAD alerting events, then `repeats`
 * more of them (which fold into those alerts' counts). `ns` names its namespace.
 */
export function workloadLines(w: number, repeats: number, t0: number, ns = 'storm'): string {
  const wl = `{"id":"${ns}/Deployment/app-${w}","namespace":"${ns}","kind":"Deployment","name":"app-${w}","container":"main"}`;
  const p = (pid: number, exe: string, args: string): string => `"process":{"pid":${pid},"ppid":1,"exe":"${exe}","args":${args},"uid":0}`;
  const evs = [
    `"kind":"exec",${p(1000 + w, '/tmp/payload', '["/tmp/payload"]')}`,
    `"kind":"file_write","op":"create","path":"/usr/bin/implant",${p(2000 + w, '/bin/cp', '["cp"]')}`,
    `"kind":"connect","dstAddr":"10.9.9.9","dstPort":3333,${p(3000 + w, '/usr/bin/xmrig', '["xmrig"]')}`,
    `"kind":"listen","port":4444,${p(4000 + w, '/usr/bin/nc', '["nc","-lp","4444"]')}`,
  ];
  let chunk = '';
  for (let i = 0; i < DISTINCT_PER_WORKLOAD + repeats; i++) chunk += `{"time":${t0 + w},${evs[i % evs.length]},"workload":${wl}}\n`;
  return chunk;
}

/** the storm's input: one JSON line per event */
export async function writeStormInput(file: string, workloads: number, repeats: number, t0 = Date.now()): Promise<number> {
  const out = createWriteStream(file);
  for (let w = 0; w < workloads; w++) {
    if (!out.write(workloadLines(w, repeats, t0))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await new Promise<void>((r) => out.once('finish', () => r()));
  return workloads * (DISTINCT_PER_WORKLOAD + repeats);
}

interface Running {
  child: ChildProcess;
  /** SIGTERM sent: its /readyz no longer counts (a stopping agent may refuse connections) */
  stopping?: boolean;
  port: number;
  exit: Promise<number | null>;
  logs: () => string;
}

async function startAgent(o: StormOptions, configFile: string): Promise<Running> {
  const child = spawn(process.execPath, [...o.agent, 'agent', '--config', configFile], { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  });
  let exited = false;
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => ((exited = true), r(code))));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`agent exited early:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`agent did not start:\n${out.slice(-4000)}`);
    }
    const line = out.split('\n').find((l) => l.includes('"api listening"'));
    if (line) return { child, port: (JSON.parse(line) as { port: number }).port, exit, logs: () => out };
    await new Promise((r) => setTimeout(r, 50));
  }
}

function peakRss(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function withDb<T>(file: string, fn: (db: Database.Database) => T, fallback: T): T {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return fallback;
  }
  try {
    db.pragma('busy_timeout = 2000');
    return fn(db);
  } catch {
    return fallback;
  } finally {
    db.close();
  }
}

/** the committed position of the events source in its input (what is acknowledged) */
function committed(dbFile: string): number {
  return withDb(dbFile, (db) => {
    const r = db.prepare("SELECT value FROM source_state WHERE key LIKE 'events/follow:%'").get() as { value: string } | undefined;
    return r ? Number(r.value.split(':').pop()) : 0;
  }, 0);
}

function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + (labels ? `{${labels}` : '')) && (labels || line.startsWith(name + ' ') || line.startsWith(name + '{'))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

export async function runAlertStorm(o: StormOptions): Promise<StormResult> {
  mkdirSync(o.dir, { recursive: true });
  const say = o.progress ?? (() => undefined);
  const input = join(o.dir, 'storm.jsonl');
  const events = await writeStormInput(input, o.workloads, o.repeats);
  const size = statSync(input).size;
  say(`input: ${events} events, ${(size / 2 ** 20).toFixed(0)} MiB`);

  // a loopback webhook that accepts everything: delivery runs as it would
  const rx = await startAlertReceiver();
  const dbFile = join(o.dir, 'data', 'habitwatch.db');
  const configFile = join(o.dir, 'agent.yaml');
  writeFileSync(
    configFile,
    stringify({
      node: 'storm-node',
      dataDir: join(o.dir, 'data'),
      log: { level: 'info' },
      api: { listen: '127.0.0.1:0' },
      sources: { enabled: ['events'], events: { paths: [input], follow: true } },
      sinks: [{ type: 'webhook', name: 'storm-rx', url: rx.url }],
      ...o.config,
    }),
  );

  const lat: number[] = [];
  let notReady = 0;
  let peak = 0;
  const stops: { ms: number; code: number | null }[] = [];
  const t0 = performance.now();
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  let agent = await startAgent(o, configFile);
  let polling = true;
  // /readyz as a kubelet would ask it: once every 100 ms, answered or not
  const poller = (async () => {
    while (polling) {
      const a = agent;
      const s = performance.now();
      try {
        const r = await fetch(`http://127.0.0.1:${a.port}/readyz`, { signal: AbortSignal.timeout(5000) });
        await r.text();
        if (a === agent && a.stopping !== true) {
          lat.push(performance.now() - s);
          if (r.status !== 200) notReady++;
        }
      } catch {
        if (a === agent && polling && a.stopping !== true && a.child.exitCode === null) lat.push(5000);
      }
      peak = Math.max(peak, peakRss(a.child.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    let stopped = o.sigtermAt === undefined;
    let lastSay = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`storm not done in time (committed ${committed(dbFile)} of ${size} bytes)\n${agent.logs().slice(-3000)}`);
      if (agent.child.exitCode !== null) throw new Error(`agent died:\n${agent.logs().slice(-4000)}`);
      const at = committed(dbFile);
      if (Date.now() - lastSay > 5000) {
        lastSay = Date.now();
        const mt = await fetch(`http://127.0.0.1:${agent.port}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).catch(() => '');
        const mib = (name: string): string => (metric(mt, name) / 2 ** 20).toFixed(0);
        say(
          `${((performance.now() - t0) / 1000).toFixed(0)} s: ${((100 * at) / size).toFixed(0)}% committed, RSS peak ${peak.toFixed(0)} MiB ` +
            `(heap used ${mib('habitwatch_nodejs_heap_size_used_bytes')} of ${mib('habitwatch_nodejs_heap_size_total_bytes')} MiB, external ${mib('habitwatch_nodejs_external_memory_bytes')} MiB), delivered ${rx.deliveries()}`,
        );
      }
      if (!stopped && at >= size * o.sigtermAt!) {
        stopped = true;
        const s = performance.now();
        agent.stopping = true;
        agent.child.kill('SIGTERM');
        const code = await agent.exit;
        stops.push({ ms: performance.now() - s, code });
        say(`SIGTERM mid-storm: stopped in ${(stops[0].ms / 1000).toFixed(1)} s (exit ${code}); starting again`);
        agent = await startAgent(o, configFile);
      }
      if (at >= size) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const wallS = (performance.now() - t0) / 1000;
    const m = await (await fetch(`http://127.0.0.1:${agent.port}/metrics`)).text();
    polling = false;
    await poller;
    peak = Math.max(peak, peakRss(agent.child.pid!));
    const stop = async (): Promise<void> => {
      const s = performance.now();
      agent.stopping = true;
      agent.child.kill('SIGTERM');
      const code = await agent.exit;
      stops.push({ ms: performance.now() - s, code });
    };
    await stop();
    // started again on the storm's database: how soon is it ready?
    const r0 = performance.now();
    agent = await startAgent(o, configFile);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`not ready after the restart:\n${agent.logs().slice(-3000)}`);
      const r = await fetch(`http://127.0.0.1:${agent.port}/readyz`).catch(() => undefined);
      if (r?.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const restartReadyS = (performance.now() - r0) / 1000;
    say(`restarted on the storm's database: ready in ${restartReadyS.toFixed(2)} s`);
    await stop();

    const db = new Database(dbFile, { readonly: true });
    try {
      const storedAlerts = (db.prepare("SELECT count(*) AS n FROM alerts WHERE rule NOT LIKE 'agent-%'").get() as { n: number }).n;
      const storedPairs = (db.prepare("SELECT count(*) AS n FROM (SELECT DISTINCT workload_id, rule FROM alerts WHERE rule NOT LIKE 'agent-%')").get() as { n: number }).n;
      const selfAlerts: Record<string, number> = {};
      for (const r of db.prepare("SELECT rule, sum(count) AS n FROM alerts WHERE rule LIKE 'agent-%' GROUP BY rule").all() as { rule: string; n: number }[]) selfAlerts[r.rule] = r.n;
      const dropped = db.prepare("SELECT body FROM alerts WHERE rule = 'agent-alerts-dropped' ORDER BY last_seen DESC LIMIT 1").get() as { body: string } | undefined;
      lat.sort((a, b) => a - b);
      return {
        events,
        expectedAlerts: DISTINCT_PER_WORKLOAD * o.workloads,
        storedAlerts,
        storedPairs,
        wallS,
        restartReadyS,
        alertsPerS: storedAlerts / wallS,
        readyzP99Ms: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] ?? 0,
        readyzMaxMs: lat[lat.length - 1] ?? 0,
        readyzPolls: lat.length,
        readyzNotReady: notReady,
        peakRssMiB: peak,
        eventLoopP99Ms: metric(m, 'habitwatch_event_loop_delay_since_start_seconds', 'quantile="0.99"') * 1000,
        eventLoopMaxMs: metric(m, 'habitwatch_event_loop_delay_since_start_seconds', 'quantile="1"') * 1000,
        stops,
        deliveriesDropped: metric(m, 'habitwatch_outbox_dropped_total', 'sink="storm-rx",reason="overflow"') + metric(m, 'habitwatch_outbox_dropped_total', 'sink="storm-rx",reason="expired"'),
        selfAlerts,
        droppedDetail: dropped ? (JSON.parse(dropped.body) as { evidence: { detail: string } }).evidence.detail : undefined,
        delivered: rx.deliveries(),
      };
    } finally {
      db.close();
    }
  } finally {
    polling = false;
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await rx.close();
  }
}
