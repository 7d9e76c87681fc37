// An interactive shell started by a service: the classic sign of a reverse or
// bind shell after an application exploit. `sh -c "…"` from an app is common
// and legitimate, so only shells without a command (-c) raise this while learning;
// once stable, any shell from a new parent is caught by unexpected-exec lineage.
import { base, defineRule, SHELLS } from '../types.ts';

const LAUNCHERS = new Set([
  ...SHELLS, 'containerd-shim', 'containerd-shim-runc-v2', 'runc', 'crun', 'conmon', 'crio', 'dockerd', 'containerd',
  'init', 'systemd', 'sshd', 'sudo', 'su', 'login', 'tmux', 'screen', 'tini', 'dumb-init', 'cron', 'crond', 'kubelet',
  'env', 'timeout', 'script', 'xargs', 'nohup', 'setsid', 'flock', 'make', 'supervisord', 's6-supervise', 'runsv',
]);

export default defineRule({
  id: 'shell-spawned',
  title: 'Interactive shell spawned by a service',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1059.004', name: 'Unix Shell', tactic: 'execution' },
  novelty: false,
  evaluate(ev) {
    const name = base(ev.process.exe);
    if (!SHELLS.has(name)) return undefined;
    const args = ev.process.args;
    if (name === 'busybox' && !(args[1] && SHELLS.has(args[1]))) return undefined;
    // the service above the shell: look past intermediate shells, so `sh -c 'bash -i …'`
    // started by the service (the classic reverse shell) is attributed to the service
    const ancestors = ev.process.ancestors ?? [];
    const parent = ancestors[0]?.exe;
    const service = ancestors.find((a) => !SHELLS.has(base(a.exe)))?.exe;
    if (parent === undefined || service === undefined || LAUNCHERS.has(base(service))) return undefined;
    // for busybox, args[1] is the applet (sh), not a script
    const rest = args.slice(name === 'busybox' ? 2 : 1);
    const hasCommand = rest.some((a) => /^-[a-z]*c[a-z]*$/.test(a));
    const hasScript = rest.some((a) => !a.startsWith('-'));
    const interactive = rest.includes('-i') || (!hasCommand && !hasScript);
    if (!interactive) return undefined;
    const via = parent !== service ? ` (via ${base(parent)})` : '';
    return {
      summary: `interactive shell ${ev.process.exe} started by ${service}${via}`,
      description: `A shell with no command or script, started by the service process ${service}, is how remote shells look.`,
      dedupOn: `${base(service)}>${name}`,
    };
  },
});
