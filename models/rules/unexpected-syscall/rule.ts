import { listing, noveltyRule } from '../novelty.ts';

export default noveltyRule({
  id: 'unexpected-syscall',
  kind: 'syscall',
  title: 'System call not in the workload baseline',
  severity: 'medium',
  mitre: { technique: 'T1106', name: 'Native API', tactic: 'execution' },
  describe: (_ev, item) => `system call(s) ${item} used, never seen in this workload`,
  describeFold: (_ev, e) => `system call(s) ${listing(e.syscalls, e.distinct, 16)} used, never seen in this workload`,
});
