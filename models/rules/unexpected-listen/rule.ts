import { listing, noveltyRule } from '../novelty.ts';

export default noveltyRule({
  id: 'unexpected-listen',
  kind: 'listen',
  title: 'New listening socket',
  severity: 'high',
  mitre: { technique: 'T1571', name: 'Non-Standard Port', tactic: 'command-and-control' },
  describe: (ev, item) => `${ev.process.exe} listens on ${item}, a listener this workload never had`,
  describeFold: (ev, e) => `${ev.process.exe} listens on ${e.distinct} sockets this workload never had: ${listing(e.addresses, undefined, 4)} port(s) ${e.ports}`,
});
