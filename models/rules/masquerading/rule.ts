// A program that passes itself off as a system one: named like a system daemon or core
// tool but run from somewhere system binaries never live (`/tmp/sshd`, `/dev/shm/kworker`,
// `/home/u/.cache/ps`), a name ending in a space (`sshd `: looks the same in a listing),
// or an argv[0] that imitates a kernel thread (`[kworker/0:1]`), which no user program has.
// Judged by name and place, not by novelty: a workload that runs `ps` from /usr/bin every
// day does not hide a `ps` run from /tmp. Interpreters and servers are not on the list:
// they live wherever they were installed (pyenv, nvm, /opt).
import type { Mitre } from '../../alert.ts';
import { base, defineRule } from '../types.ts';

const NAME: Mitre = { technique: 'T1036.005', name: 'Masquerading: Match Legitimate Name or Location', tactic: 'defense-evasion' };
const SPACE: Mitre = { technique: 'T1036.006', name: 'Masquerading: Space after Filename', tactic: 'defense-evasion' };
const TASK: Mitre = { technique: 'T1036.004', name: 'Masquerading: Masquerade Task or Service', tactic: 'defense-evasion' };

const SYSTEM_NAMES = new Set([
  ...['sshd', 'ssh', 'cron', 'crond', 'atd', 'init', 'systemd', 'systemd-journald', 'systemd-logind', 'systemd-udevd', 'systemd-resolved', 'systemd-networkd', 'udevd', 'dbus-daemon', 'rsyslogd', 'syslogd', 'agetty', 'getty', 'login', 'polkitd', 'irqbalance', 'auditd'],
  ...['sh', 'bash', 'dash', 'ls', 'ps', 'top', 'cat', 'id', 'whoami', 'uname', 'sleep', 'sudo', 'su', 'passwd', 'mount', 'kill', 'netstat', 'ss', 'ip', 'ifconfig', 'lsof', 'find', 'grep'],
  ...['containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'runc', 'crun', 'dockerd', 'kubelet', 'kube-proxy', 'pause', 'conmon'],
  ...['kthreadd', 'kworker', 'ksoftirqd', 'kswapd0', 'migration', 'watchdog', 'rcu_sched', 'jbd2'],
]);
// where system binaries are installed (distributions, and node images: Flatcar /opt/bin,
// GKE's COS /home/kubernetes/bin, NixOS's store)
const SYSTEM_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/local/bin/', '/usr/local/sbin/', '/usr/lib/', '/usr/libexec/', '/lib/', '/usr/local/lib/', '/opt/bin/', '/home/kubernetes/bin/', '/nix/store/', '/snap/'];
const KERNEL_THREAD = /^\[[^\]]+\]$/;

function systemName(name: string): boolean {
  if (SYSTEM_NAMES.has(name)) return true;
  const c = name.charCodeAt(0);
  // kernel-thread look-alikes start with k, m or w: one compare rules out the rest
  return (c === 107 || c === 109 || c === 119) && /^(?:kworker|ksoftirqd|migration|watchdog|kswapd)\b/.test(name);
}

export default defineRule({
  id: 'masquerading',
  title: 'Program masquerading as a system binary or kernel thread',
  kinds: ['exec'],
  severity: 'high',
  mitre: NAME,
  novelty: false,
  evaluate(ev) {
    const exe = ev.process.exe;
    if (!exe.startsWith('/')) return undefined;
    const name = base(exe);
    const argv0 = ev.process.args[0];
    if (argv0 !== undefined && argv0.charCodeAt(0) === 91 /* [ */ && KERNEL_THREAD.test(argv0)) {
      return {
        summary: `${exe} runs as ${JSON.stringify(argv0)}, a kernel thread's name`,
        description: 'Kernel threads have no executable; a user program naming itself like one hides in process listings.',
        dedupOn: `task:${exe}`,
        mitre: TASK,
      };
    }
    if (name.charCodeAt(name.length - 1) <= 32 && /\s$/.test(name)) {
      return {
        summary: `${JSON.stringify(exe)} has a name ending in white space`,
        description: 'A trailing space makes a file look like a system binary in listings while it is another file.',
        dedupOn: `space:${exe}`,
        mitre: SPACE,
      };
    }
    if (!systemName(name)) return undefined;
    for (let i = 0; i < SYSTEM_DIRS.length; i++) if (exe.startsWith(SYSTEM_DIRS[i])) return undefined;
    return {
      summary: `${exe} is named like the system program ${name} but runs from ${exe.slice(0, exe.lastIndexOf('/') + 1)}`,
      description: `System programs live in the system's binary directories; a ${name} elsewhere is made to be mistaken for it.`,
      dedupOn: `name:${exe}`,
    };
  },
});
