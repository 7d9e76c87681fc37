// Package managers in a running container: images are built, not patched live.
import { base, defineRule } from '../types.ts';

const ALWAYS = new Set(['apt', 'apt-get', 'aptitude', 'dpkg', 'yum', 'dnf', 'rpm', 'apk', 'zypper', 'pacman', 'microdnf', 'tdnf']);
const INSTALLING = new Set(['pip', 'pip3', 'npm', 'gem', 'yarn', 'pnpm', 'cargo', 'go']);

export default defineRule({
  id: 'package-manager',
  title: 'Package manager run inside a container',
  kinds: ['exec'],
  severity: 'medium',
  mitre: { technique: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev) {
    if (!ev.container) return undefined; // on a host, package managers are normal
    const name = base(ev.process.exe);
    const installing = INSTALLING.has(name) && ev.process.args.some((a) => a === 'install' || a === 'add' || a === 'i');
    if (!ALWAYS.has(name) && !installing) return undefined;
    return {
      summary: `package manager ${name} run in container ${ev.workload?.container ?? ev.container.id.slice(0, 12)}`,
      description: 'Containers should be immutable; installing packages at run time is drift, and a common way to bring in attack tools.',
      dedupOn: name,
    };
  },
});
