// Reads of credential files: password databases, SSH private keys, cloud and cluster
// credentials, another process's environment. Service-account tokens have their own
// rule (sa-token-read).
//
// Technique-specific, not novelty: a read by a hand tool (cat, cp, base64, curl…) alerts
// whatever the baseline learned — a workload that runs `cat` on its own files hides
// nothing here. The programs whose job it is (sshd and PAM helpers for /etc/shadow, ssh
// for keys, cloud CLIs for their config) never alert. Anything else depends on the file:
// nothing but the authentication programs reads a password database, so any other reader
// alerts until a stable baseline has learned it; applications do read their cloud
// credentials and keys (an SDK, a git client library), so those alert only once stable
// and new (as sa-token-read does).
import type { Mitre } from '../../alert.ts';
import { defineRule, programName, READ_TOOLS } from '../types.ts';

interface Kind {
  what: string;
  test: RegExp;
  mitre: Mitre;
  owners: ReadonlySet<string>;
  /** applications read these themselves: only a tool, or a new reader once stable, alerts */
  appsRead: boolean;
}

const PASSWD: Mitre = { technique: 'T1003.008', name: 'OS Credential Dumping: /etc/passwd and /etc/shadow', tactic: 'credential-access' };
const KEYS: Mitre = { technique: 'T1552.004', name: 'Unsecured Credentials: Private Keys', tactic: 'credential-access' };
const FILES: Mitre = { technique: 'T1552.001', name: 'Unsecured Credentials: Credentials In Files', tactic: 'credential-access' };
const ENV: Mitre = { technique: 'T1552', name: 'Unsecured Credentials', tactic: 'credential-access' };

const HOME = '(?:/root|/home/[^/]+)';
export const CREDENTIAL_KINDS: readonly Kind[] = [
  {
    what: 'the password database',
    test: /^\/etc\/g?shadow-?$/,
    mitre: PASSWD,
    owners: new Set(['sshd', 'login', 'su', 'sudo', 'passwd', 'chpasswd', 'chage', 'unix_chkpwd', 'useradd', 'usermod', 'userdel', 'groupadd', 'groupmod', 'groupdel', 'gpasswd', 'newusers', 'pwck', 'grpck', 'vipw', 'vigr', 'cron', 'crond', 'polkit-agent-helper-1', 'systemd-homed', 'pwconv', 'grpconv', 'dpkg', 'rpm', 'apk']),
    appsRead: false,
  },
  {
    what: 'an SSH private key',
    test: new RegExp(`^(?:/etc/ssh/ssh_host_[^/]*_key|${HOME}/\\.ssh/(?:id_[^/.]+|[^/]*\\.pem|[^/]*_rsa|[^/]*_ed25519|[^/]*_ecdsa))$`),
    mitre: KEYS,
    owners: new Set(['ssh', 'sshd', 'ssh-agent', 'ssh-add', 'ssh-keygen', 'ssh-keysign', 'sftp-server', 'autossh']),
    appsRead: true,
  },
  {
    what: 'cloud or cluster credentials',
    test: new RegExp(
      `^(?:${HOME}/(?:\\.aws/(?:credentials|config)|\\.config/gcloud/.+|\\.azure/.+|\\.kube/config|\\.docker/config\\.json|\\.git-credentials|\\.netrc)|/etc/kubernetes/(?:.+\\.conf|pki/.+)|/var/lib/kubelet/pki/.+|/etc/ssl/private/.+)$`,
    ),
    mitre: FILES,
    owners: new Set(['aws', 'gcloud', 'gsutil', 'az', 'kubectl', 'helm', 'docker', 'git', 'git-remote-http', 'git-remote-https', 'kubelet', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'etcd', 'kubeadm', 'containerd', 'dockerd']),
    appsRead: true,
  },
  {
    what: "another process's environment",
    test: /^\/proc\/\d+\/(?:task\/\d+\/)?environ$/,
    mitre: ENV,
    owners: new Set(['ps', 'pgrep', 'pkill', 'top', 'htop']),
    appsRead: false,
  },
];

export default defineRule({
  id: 'credential-file-read',
  title: 'Credential file read',
  kinds: ['file_open'],
  severity: 'high',
  mitre: PASSWD,
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'file_open') return undefined;
    const path = ev.path;
    const k = CREDENTIAL_KINDS.find((x) => x.test.test(path));
    if (!k) return undefined;
    // a process reading its own environment reads nothing it does not have
    if (k.mitre === ENV && path.startsWith(`/proc/${ev.process.pid}/`)) return undefined;
    const name = programName(ev.process);
    if (k.owners.has(name)) return undefined;
    const tool = READ_TOOLS.has(name);
    const stable = ctx.obs.baseline.enforcing();
    const known = ctx.obs.novel.length === 0;
    // a tool always; an application reading its own credentials once stable and new;
    // any other reader of a file only its owners read, unless a stable baseline knows it
    if (!(tool || (k.appsRead ? stable && !known : !(stable && known)))) return undefined;
    return {
      summary: `${name} read ${k.what}: ${path}`,
      description: tool
        ? `${name} is a tool run by hand, not a program whose job is to read ${k.what}: this is how credentials are stolen.`
        : `${ev.process.exe} is not a program whose job is to read ${k.what}${k.appsRead ? ', and this workload never read it before' : ''}.`,
      dedupOn: `${name}:${path.replace(/^\/proc\/\d+\//, '/proc/*/')}`,
      mitre: k.mitre,
    };
  },
});
