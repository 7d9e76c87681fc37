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
    const parent = ev.process.ancestors?.[0]?.exe;
    if (parent === undefined || LAUNCHERS.has(base(parent))) return undefined;
    const hasCommand = args.some((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a));
    const hasScript = args.slice(1).some((a) => !a.startsWith('-'));
    const interactive = args.includes('-i') || (!hasCommand && !hasScript);
    if (!interactive) return undefined;
    return {
      summary: `interactive shell ${ev.process.exe} started by ${parent}`,
      description: `A shell with no command or script, started by the service process ${parent}, is how remote shells look.`,
      dedupOn: `${base(parent)}>${name}`,
    };
  },
});
