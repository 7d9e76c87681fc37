// A seccomp allow-list from the syscalls a baseline learned, as the kubelet's
// `localhost/` profile (the OCI/Docker JSON format, also what runc and crun take in an
// OCI config) and as a Security Profiles Operator `SeccompProfile` object.
//
// Beyond what was observed, the list always allows what starting the container needs
// after the runtime has loaded the filter and before the workload's first instruction —
// calls the workload itself could never be observed making, because they happen in the
// runtime's process before it execs the workload:
//   execve     the runtime loads the filter, then execs the container's process;
//   runc's init (Go) between loading the filter and that exec: it checks /proc/self/fd
//              (openat, fstatfs, getdents64), closes inherited descriptors (close, fcntl),
//              reports to its parent (write) and runs the Go runtime (futex, nanosleep,
//              sched_yield, epoll_pwait/epoll_ctl, signals, mmap/munmap/madvise).
// Measured with strace under runc 1.1 (Debian 12), the path kubelet → containerd → runc
// takes; crun (C, no runtime) needs a subset. Everything else must have been learned:
// run the workload through its normal life (start-up, traffic, shutdown) while learning,
// or the profile will deny a rare path with EPERM.
import type { BaselineSnapshot } from '../../../models/baseline/baseline.ts';

/** allowed whether or not they were observed: see the header */
export const RUNTIME_SYSCALLS = [
  'close', 'epoll_ctl', 'epoll_pwait', 'execve', 'fcntl', 'fstat', 'fstatfs', 'futex', 'getdents64', 'getpid', 'gettid', 'madvise', 'mmap', 'munmap',
  'nanosleep', 'newfstatat', 'openat', 'prctl', 'rt_sigprocmask', 'rt_sigreturn', 'sched_yield', 'sigaltstack', 'tgkill', 'write',
] as const;

const ARCH: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: { names: string[]; action: 'SCMP_ACT_ALLOW' }[];
}

export interface SeccompExport {
  profile: SeccompProfile;
  /** observed names left out: numbers the source could not name (syscall_<n>) */
  skipped: string[];
  /** allowed without having been observed (RUNTIME_SYSCALLS not in the baseline) */
  added: string[];
}

const NAME = /^[a-z][a-z0-9_]*$/;

/** One profile for all of a workload's containers given, or per container when one is given. */
export function seccompFrom(snaps: BaselineSnapshot[], arch = process.arch): SeccompExport {
  const observed = new Set<string>();
  for (const s of snaps) for (const it of s.items.syscall ?? []) observed.add(it.key);
  const skipped = [...observed].filter((n) => !NAME.test(n) || /^syscall_\d+$/.test(n)).sort();
  const names = new Set([...observed].filter((n) => !skipped.includes(n)));
  const added = RUNTIME_SYSCALLS.filter((n) => !names.has(n));
  for (const n of RUNTIME_SYSCALLS) names.add(n);
  return {
    profile: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1, // EPERM
      architectures: [ARCH[arch] ?? `SCMP_ARCH_${arch.toUpperCase()}`],
      syscalls: [{ names: [...names].sort(), action: 'SCMP_ACT_ALLOW' }],
    },
    skipped,
    added: [...added],
  };
}

/** the Security Profiles Operator object for the same profile */
export function seccompProfileObject(p: SeccompProfile, name: string, namespace: string | null, labels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
    kind: 'SeccompProfile',
    metadata: { name, ...(namespace ? { namespace } : {}), labels },
    spec: { defaultAction: p.defaultAction, architectures: p.architectures, syscalls: p.syscalls },
  };
}
