// Container drift: a process ran a file that this same container wrote earlier, as its
// executable or as the script an interpreter was given.
import { defineRule, scriptOf } from '../types.ts';

export default defineRule({
  id: 'drift-exec',
  title: 'Execution of a file written inside the container (drift)',
  kinds: ['exec'],
  severity: 'critical',
  mitre: { technique: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev, ctx) {
    const p = ev.process;
    if (ctx.containerWrote(p.exe)) {
      return {
        summary: `${p.exe} executed after being written by this container`,
        description: 'The executable is not part of the image: a process in the same container created or modified it before it was run.',
        dedupOn: p.exe,
      };
    }
    // `sh ./art.sh`: the interpreter is the image's, the script it runs is not
    if (p.args.length < 2) return undefined;
    const script = scriptOf(p);
    if (script === undefined || !ctx.containerWrote(script)) return undefined;
    return {
      summary: `${script} run by ${p.exe} after being written by this container`,
      description: 'The script is not part of the image: a process in the same container created or modified it before an interpreter ran it.',
      dedupOn: script,
      evidence: { path: script },
    };
  },
});
