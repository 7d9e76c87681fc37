// A listening socket opened by a network tool or a shell: a bind shell or an ad-hoc
// exfiltration channel. Services listen; netcat and shells do not, in production.
import { base, defineRule, SHELLS } from '../types.ts';

const TOOLS = new Set(['nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional', 'socat', 'busybox', 'telnetd', 'ssh']);

export default defineRule({
  id: 'listener-by-tool',
  title: 'Listening socket opened by a network tool or shell',
  kinds: ['listen'],
  severity: 'high',
  mitre: { technique: 'T1571', name: 'Non-Standard Port', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev) {
    if (ev.kind !== 'listen') return undefined;
    const name = base(ev.process.exe);
    if (!TOOLS.has(name) && !SHELLS.has(name)) return undefined;
    return {
      summary: `${name} listens on ${ev.proto} ${ev.addr}:${ev.port}`,
      description: `${name} is not a service; a listener it opens is typically a bind shell or a file-transfer channel.`,
      dedupOn: `${name}:${ev.port}`,
    };
  },
});
