import { listing, noveltyRule } from '../novelty.ts';

export default noveltyRule({
  id: 'unexpected-connect',
  kind: 'connect',
  title: 'Connection to a destination not in the workload baseline',
  severity: 'medium',
  mitre: { technique: 'T1071', name: 'Application Layer Protocol', tactic: 'command-and-control' },
  describe: (ev, item) => `${ev.process.exe} connected to ${item}, a destination this workload never used`,
  describeFold: (ev, e) => `${ev.process.exe} connected to ${e.distinct} destinations this workload never used: ${listing(e.addresses, undefined, 4)} port(s) ${e.ports}`,
});
