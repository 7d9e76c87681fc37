// auditd decode throughput against ausearch (C, Debian's auditd package) on the same
// generated log in the same run. The log is real-format: event templates are the
// records of our own recording (test/fixtures/auditd/recorded-enriched.log) with new
// serials, times, pids, paths and hex-encoded arguments.
//   auditd_events_per_s       audit events decoded (grouped, mapped to RuntimeEvents) per second, replay path
//   auditd_vs_ausearch_ratio  ours ÷ `ausearch -if FILE --format text > /dev/null` events/s
//   idle_auditd_agent_cpu_ms_per_s  the real agent (dist/) with the auditd source on a log
//                             that does not grow: CPU ms per second over 60 s (15 quick)
//                             after it settled — an idle file costs the follower nothing
//                             but its fallback look every 2 s (collector/follow.ts)
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { defineBench, time } from './harness.ts';
import { replayFiles } from '../collector/sources/auditd/index.ts';
import { MemoryStats } from '../collector/stats.ts';
import { silentLogger } from '../collector/log.ts';
import { IDLE_SETTLE_MS, idleCpu, startBenchAgent } from './agent-proc.ts';
import { sleep } from '../collector/sleep.ts';

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'auditd', 'recorded-enriched.log');

interface Template {
  lines: string[];
}

/** the recorded events that carry one of our rule keys, as record lists */
function templates(): Template[] {
  const groups = new Map<string, string[]>();
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    const m = /msg=audit\(([^)]*)\)/.exec(line);
    if (!m || line.startsWith('type=DAEMON')) continue;
    let g = groups.get(m[1]);
    if (!g) groups.set(m[1], (g = []));
    g.push(line);
  }
  const out: Template[] = [];
  for (const lines of groups.values()) {
    const sys = lines.find((l) => l.startsWith('type=SYSCALL'));
    if (sys && sys.includes('key="habitwatch-test"') && lines.every((l) => l.length < 2000)) out.push({ lines });
  }
  return out;
}

/** write `events` audit events; returns the number written */
export function generate(file: string, events: number, progress: (m: string) => void): number {
  const tpl = templates();
  const fd = openSync(file, 'w');
  let buf: string[] = [];
  let size = 0;
  let secs = 1795000000;
  let ms = 0;
  for (let i = 0; i < events; i++) {
    const t = tpl[i % tpl.length];
    const serial = 1000 + i;
    ms += 1 + (i % 3);
    if (ms >= 1000) {
      secs++;
      ms -= 1000;
    }
    const stamp = `msg=audit(${secs}.${String(ms).padStart(3, '0')}:${serial})`;
    const pid = 2000 + (i % 30000);
    const dir = `/srv/app${i % 997}`;
    // a hex-encoded argument that varies per event (space inside forces hex)
    const hexArg = Buffer.from(`run job ${i}`).toString('hex').toUpperCase();
    for (const l of t.lines) {
      let s = l.replace(/msg=audit\([^)]*\)/, stamp);
      if (s.startsWith('type=SYSCALL')) s = s.replace(/ pid=\d+/, ` pid=${pid}`).replace(/ ppid=\d+/, ` ppid=${pid - 1}`);
      else if (s.startsWith('type=CWD') || s.startsWith('type=PATH')) s = s.replaceAll('/tmp/hwrec', dir);
      else if (s.startsWith('type=EXECVE') && / a1="[^"]*"/.test(s)) s = s.replace(/ a1="[^"]*"/, ` a1=${hexArg}`);
      buf.push(s);
      size += s.length + 1;
    }
    if (size > 1 << 20) {
      writeSync(fd, buf.join('\n') + '\n');
      buf = [];
      size = 0;
      if (i % 20 === 0) progress(`generating audit.log: ${i.toLocaleString('en-US')} events`);
    }
  }
  if (buf.length > 0) writeSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  return events;
}

async function decode(file: string, progress: (m: string) => void): Promise<number> {
  const ac = new AbortController();
  const stats = new MemoryStats();
  const ctx = { node: 'bench', signal: ac.signal, log: silentLogger, stats, state: { get: () => undefined, set: () => {} }, now: () => 0 };
  let n = 0;
  let next = 0;
  for await (const batch of replayFiles([file], ctx)) {
    n += batch.length;
    if (n >= next) {
      progress(`decoding: ${n.toLocaleString('en-US')} events`);
      next = n + 200000;
    }
  }
  if (stats.totalBad() > 0) throw new Error(`bench log decoded with bad records: ${JSON.stringify(stats.snap.bad)}`);
  // audit events (what ausearch counts too); a bind yields no RuntimeEvent until its listen
  return stats.snap.received.auditd ?? 0;
}

function ausearch(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ausearch', ['-if', file, '--format', 'text'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    // ausearch exits 1 when nothing matched; anything else is an error
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ausearch exited ${code}: ${err.slice(0, 300)}`))));
  });
}

export default defineBench({
  name: 'auditd',
  budgets: { auditd_vs_ausearch_ratio: ['>=', 1.0], idle_auditd_agent_cpu_ms_per_s: ['<=', 5] },
  async run(ctx) {
    if (spawnSync('sh', ['-c', 'command -v ausearch']).status !== 0) throw new Error('ausearch not installed (Debian package auditd)');
    const file = join(ctx.tmp, 'audit.log');
    const wanted = ctx.quick ? 10000 : 50000; // ~1.15 KB per event: ~58 MB (quick ~12 MB)
    const events = generate(file, wanted, ctx.progress);
    const mb = statSync(file).size / (1 << 20);
    ctx.progress(`generated ${events.toLocaleString('en-US')} events, ${mb.toFixed(1)} MB`);

    // interleaved best-of-3: load on a shared machine changes over seconds, so both
    // sides get the same conditions
    let ours = Infinity;
    let theirs = Infinity;
    for (let round = 1; round <= 3; round++) {
      let produced = 0;
      ours = Math.min(ours, await time(async () => (produced = await decode(file, (m) => ctx.progress(`round ${round}: ${m}`)))));
      if (produced !== events) throw new Error(`decoded ${produced} of ${events} events`);
      ctx.progress(`round ${round}: ausearch -if FILE --format text`);
      theirs = Math.min(theirs, await time(() => ausearch(file)));
    }
    const oursRate = events / ours;
    const theirRate = events / theirs;
    const idleMsPerS = await idleAgent(ctx.tmp, ctx.quick ? 15 : 60, ctx.progress);
    return {
      idle_auditd_agent_cpu_ms_per_s: idleMsPerS,
      auditd_events_per_s: oursRate,
      auditd_ausearch_events_per_s: theirRate,
      auditd_vs_ausearch_ratio: oursRate / theirRate,
      auditd_bench_log_mb: mb,
    };
  },
});

/** the agent's CPU (ms per s) following an audit log that does not grow, after it settled */
async function idleAgent(tmp: string, secs: number, progress: (m: string) => void): Promise<number> {
  const log = join(tmp, 'idle-audit.log');
  writeFileSync(log, '');
  progress('idle agent on the auditd source: starting');
  const a = await startBenchAgent(join(tmp, 'auditd-idle-agent'), { sources: { enabled: ['auditd'], auditd: { path: log } } });
  try {
    progress('idle agent: settling (start-up garbage collected)');
    await sleep(IDLE_SETTLE_MS);
    progress(`idle agent: ${secs} s`);
    return (await idleCpu(a, secs)).agentMsPerS;
  } finally {
    await a.stop();
  }
}
