// Synthetic but realistic normalised events: many workloads, a steady mix of kinds,
// recurring items with varying pids, temp names and hashes (so generalisation works).
import type { RuntimeEvent } from '../collector/event.ts';

export function makeEvents(n: number, opts: { workloads?: number; start?: number; seed?: number } = {}): RuntimeEvent[] {
  const W = opts.workloads ?? 50;
  let seed = opts.seed ?? 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const start = opts.start ?? Date.parse('2026-06-01T00:00:00Z');
  const exes = ['/usr/sbin/nginx', '/usr/bin/python3', '/bin/sh', '/usr/bin/curl', '/usr/local/bin/app', '/bin/gzip', '/usr/bin/java'];
  const out: RuntimeEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const w = i % W;
    const exe = exes[(w + (i % 3)) % exes.length];
    const base = {
      time: start + i,
      node: 'bench-node',
      source: 'events',
      process: { pid: 1000 + (i % 5000), exe, args: i % 100 === 0 ? [exe, '--port', String(8000 + w), '--password=hunter2'] : [exe, '--port', String(8000 + w)], uid: 1000, ancestors: [{ exe: '/usr/bin/tini' }] },
      workload: { id: `ns${w % 5}/Deployment/app${w}`, namespace: `ns${w % 5}`, kind: 'Deployment', name: `app${w}`, container: 'main', pod: `app${w}-abc` },
      container: { id: 'c'.repeat(60) + String(w).padStart(4, '0'), runtime: 'containerd' as const, image: `registry/app${w}:1.0` },
      enrichment: 'complete' as const,
    };
    const r = rnd();
    if (r < 0.2) out[i] = { ...base, kind: 'exec' };
    else if (r < 0.55) out[i] = { ...base, kind: 'file_write', path: pick([`/var/log/app/app.log`, `/tmp/tmp${Math.floor(rnd() * 1e8).toString(36)}x9`, `/var/cache/app/${Math.floor(rnd() * 1e12).toString(16)}`, `/proc/${1000 + (i % 5000)}/status`]), op: 'write' };
    else if (r < 0.75) out[i] = { ...base, kind: 'connect', proto: 'tcp', dstAddr: `10.0.${w % 4}.${(i % 3) + 10}`, dstPort: pick([5432, 6379, 443]) };
    else if (r < 0.8) out[i] = { ...base, kind: 'listen', proto: 'tcp', addr: '0.0.0.0', port: 8000 + w };
    else if (r < 0.9) out[i] = { ...base, kind: 'file_open', path: pick(['/etc/ssl/certs/ca.pem', `/proc/${i % 5000}/stat`, '/app/config.yaml']) };
    else out[i] = { ...base, kind: 'syscall', names: ['read', 'write', 'openat', 'close', 'epoll_wait', 'futex'] };
  }
  return out;
}

/** deep copies for repeated runs (the pipeline redacts and enriches in place) */
export function cloneEvents(evs: RuntimeEvent[]): RuntimeEvent[] {
  return JSON.parse(JSON.stringify(evs)) as RuntimeEvent[];
}

/** events the core bench's replay learns from before the cut (`--learn-events`): a tenth */
export const REPLAY_LEARN_EVENTS = 50_000;
export const replayLearnEvents = (total: number): number => Math.round(total / 10);

/** The core bench's replay input: a learning day (the first tenth), then the next day. */
export function replayBenchEvents(total: number): RuntimeEvent[] {
  const learn = replayLearnEvents(total);
  return [
    ...makeEvents(learn, { seed: 1 }),
    ...makeEvents(total - learn, { seed: 3, start: Date.parse('2026-06-02T00:00:00Z') }),
  ];
}
