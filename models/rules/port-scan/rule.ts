// A port scan: one process reaching many service ports of one address within seconds
// (`nc -z host 1-1024`, nmap, a bash /dev/tcp loop). No workload's code path connects to
// sixteen different service ports of one host in half a minute, however well the
// baseline knows the scanner (nc, bash, python): the burst is the technique. Ephemeral
// ports (32768 and up) do not count: clients reach them for data connections (FTP's
// passive mode), and services do not listen there. The first alert lists the ports
// reached so far; the rest of the scan folds into it (the engine folds a process's hits:
// models/fanout.ts).
//
// While the baseline learns (or relearns, or is over its budget) this rule is what sees
// a scan: every destination is learned, none is new. Once it is stable or locked, a
// scan's destinations are new to it and unexpected-connect already makes the scan one
// finding with the port range (models/fanout.ts); a second alert for the same act would
// only split it, so this rule stays quiet there.
import { hostPort } from '../../baseline/items.ts';
import { listing } from '../novelty.ts';
import { portRanges } from '../../fanout.ts';
import { defineRule } from '../types.ts';

const WINDOW_MS = 30_000;
const ENOUGH = 16;
const EPHEMERAL = 32768;

export default defineRule({
  id: 'port-scan',
  title: 'Port scan: many service ports of one address from one process',
  kinds: ['connect'],
  severity: 'high',
  mitre: { technique: 'T1046', name: 'Network Service Discovery', tactic: 'discovery' },
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'connect' || ev.dstPort >= EPHEMERAL || ev.dstPort === 0 || ev.process.pid <= 0) return undefined;
    if (ctx.obs.baseline.enforcing()) return undefined;
    const seen = ctx.portsReached(ev.process.pid, ev.proto, ev.dstAddr, ev.time - WINDOW_MS);
    let service = 0;
    for (const p of seen) if (p > 0 && p < EPHEMERAL) service++;
    if (service < ENOUGH) return undefined;
    const ports = [...seen].filter((p) => p > 0 && p < EPHEMERAL);
    const items = ports.map((p) => `${ev.proto} ${hostPort(ev.dstAddr, p)}`);
    return {
      summary: `${ev.process.exe} reached ${ports.length} ports of ${ev.dstAddr} within ${WINDOW_MS / 1000} s: ${portRanges(ports)}`,
      description: 'One process trying many service ports of one host in a burst is a port scan: looking for services to attack next.',
      dedupOn: `${ev.proto} ${hostPort(ev.dstAddr, ev.dstPort)}`,
      items,
      evidence: { items, distinct: items.length, ports: portRanges(ports), addresses: [ev.dstAddr] },
    };
  },
  describeFold: (ev, e) => `${ev.process.exe} reached ${e.distinct} ports of ${listing(e.addresses, undefined, 4)}: ${e.ports}`,
});
