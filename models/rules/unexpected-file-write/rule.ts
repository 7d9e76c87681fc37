import { listing, noveltyRule } from '../novelty.ts';

export default noveltyRule({
  id: 'unexpected-file-write',
  kind: 'file_write',
  title: 'Write to a path not in the workload baseline',
  severity: 'medium',
  mitre: { technique: 'T1565.001', name: 'Stored Data Manipulation', tactic: 'impact' },
  describe: (ev, item) => `${ev.kind === 'file_write' ? ev.op : 'write'} of ${item}, a path this workload never wrote`,
  describeFold: (ev, e) => `${ev.process.exe} wrote ${e.distinct} paths this workload never wrote: ${listing(e.items, e.distinct)}`,
});
