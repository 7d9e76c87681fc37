import { listing, noveltyRule } from '../novelty.ts';

export default noveltyRule({
  id: 'unexpected-file-open',
  kind: 'file_open',
  title: 'Read of a sensitive path not in the workload baseline',
  severity: 'medium',
  mitre: { technique: 'T1005', name: 'Data from Local System', tactic: 'collection' },
  describe: (_ev, item) => `read of ${item}, a sensitive path this workload never read`,
  describeFold: (ev, e) => `${ev.process.exe} read ${e.distinct} sensitive paths this workload never read: ${listing(e.items, e.distinct)}`,
});
