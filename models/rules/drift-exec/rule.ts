// Container drift: a process ran a file that this same container wrote earlier.
import { defineRule } from '../types.ts';

export default defineRule({
  id: 'drift-exec',
  title: 'Execution of a file written inside the container (drift)',
  kinds: ['exec'],
  severity: 'critical',
  mitre: { technique: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev, ctx) {
    if (!ctx.containerWrote(ev.process.exe)) return undefined;
    return {
      summary: `${ev.process.exe} executed after being written by this container`,
      description: 'The executable is not part of the image: a process in the same container created or modified it before it was run.',
      dedupOn: ev.process.exe,
    };
  },
});
