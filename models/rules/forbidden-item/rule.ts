// Behaviour a person forbade for this workload (the "graveyard"): it is never learned
// and alerts in every baseline state — learning, relearning after a new image, stable.
import type { EventKind } from '../../../collector/event.ts';
import type { Mitre } from '../../alert.ts';
import { defineRule } from '../types.ts';

const BY_KIND: Record<EventKind, Mitre> = {
  exec: { technique: 'T1059', name: 'Command and Scripting Interpreter', tactic: 'execution' },
  file_write: { technique: 'T1565.001', name: 'Stored Data Manipulation', tactic: 'impact' },
  file_open: { technique: 'T1005', name: 'Data from Local System', tactic: 'collection' },
  listen: { technique: 'T1571', name: 'Non-Standard Port', tactic: 'command-and-control' },
  connect: { technique: 'T1071', name: 'Application Layer Protocol', tactic: 'command-and-control' },
  syscall: { technique: 'T1611', name: 'Escape to Host', tactic: 'privilege-escalation' },
};

export default defineRule({
  id: 'forbidden-item',
  title: 'Behaviour forbidden for this workload',
  kinds: ['exec', 'file_write', 'file_open', 'listen', 'connect', 'syscall'],
  severity: 'high',
  mitre: BY_KIND.exec,
  novelty: false,
  evaluate(ev, ctx) {
    const f = ctx.obs.forbidden;
    if (f.length === 0) return undefined;
    const b = ctx.obs.baseline;
    const patterns = [...new Set(f.map((k) => b.forbiddenBy(ctx.obs.kind, k) ?? k))];
    return {
      summary: `${f.join(', ')} by ${ev.process.exe}: forbidden for this workload`,
      description: `A responder forbade ${patterns.join(', ')} for this workload: it is never learned and always alerts.`,
      dedupOn: f.join(','),
      mitre: BY_KIND[ev.kind],
    };
  },
});
