// Writes into binary directories or security-relevant system configuration.
import type { Mitre } from '../../alert.ts';
import { defineRule } from '../types.ts';

const TARGETS: { prefix: string; mitre: Mitre; what: string }[] = [
  { prefix: '/etc/ld.so.preload', what: 'the dynamic linker preload list', mitre: { technique: 'T1574.006', name: 'Dynamic Linker Hijacking', tactic: 'persistence' } },
  { prefix: '/etc/cron', what: 'cron configuration', mitre: { technique: 'T1053.003', name: 'Cron', tactic: 'persistence' } },
  { prefix: '/var/spool/cron', what: 'a crontab', mitre: { technique: 'T1053.003', name: 'Cron', tactic: 'persistence' } },
  { prefix: '/etc/anacrontab', what: 'anacron configuration', mitre: { technique: 'T1053.003', name: 'Cron', tactic: 'persistence' } },
  { prefix: '/var/spool/anacron', what: 'anacron state', mitre: { technique: 'T1053.003', name: 'Cron', tactic: 'persistence' } },
  { prefix: '/etc/passwd', what: 'the user database', mitre: { technique: 'T1136.001', name: 'Local Account', tactic: 'persistence' } },
  { prefix: '/etc/shadow', what: 'the password database', mitre: { technique: 'T1098', name: 'Account Manipulation', tactic: 'persistence' } },
  { prefix: '/etc/sudoers', what: 'sudo rules', mitre: { technique: 'T1548.003', name: 'Sudo and Sudo Caching', tactic: 'privilege-escalation' } },
  { prefix: '/root/.ssh/', what: 'root SSH keys', mitre: { technique: 'T1098.004', name: 'SSH Authorized Keys', tactic: 'persistence' } },
  { prefix: '/etc/systemd/', what: 'systemd units', mitre: { technique: 'T1543.002', name: 'Systemd Service', tactic: 'persistence' } },
  { prefix: '/etc/pam.d/', what: 'PAM configuration', mitre: { technique: 'T1556.003', name: 'Pluggable Authentication Modules', tactic: 'credential-access' } },
];
const BIN_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/local/bin/', '/usr/local/sbin/', '/lib/', '/lib64/', '/usr/lib/', '/usr/lib64/', '/boot/'];
// first path components of every target above: a quick reject for ordinary writes
const SYSTEM_ROOTS = ['/etc/', '/var/spool/cron', '/root/.ssh/', '/bin/', '/sbin/', '/usr/', '/lib', '/boot/'];
const BIN_MITRE: Mitre = { technique: 'T1554', name: 'Compromise Host Software Binary', tactic: 'persistence' };
// package managers legitimately write binaries; their own writes are the package-manager rule's business
const PKG = /(?:^|\/)(?:dpkg|apt|apt-get|rpm|yum|dnf|apk|zypper|pacman|ldconfig|update-alternatives)$/;

// a loop, not .some(): a callback would cost a closure per write event
function startsWithAny(path: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return true;
  return false;
}

export default defineRule({
  id: 'write-system-path',
  title: 'Write into a binary directory or system configuration',
  kinds: ['file_write'],
  severity: 'high',
  mitre: BIN_MITRE,
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'file_write') return undefined;
    // learned writes (e.g. an app that rewrites its own /etc file) are its habit, once stable
    if (ctx.obs.novel.length === 0 && ctx.obs.baseline.enforcing()) return undefined;
    const path = ev.op === 'rename' && ev.newPath ? ev.newPath : ev.path;
    // cheapest test first: most writes are nowhere near a system path
    if (!startsWithAny(path, SYSTEM_ROOTS)) return undefined;
    if (PKG.test(ev.process.exe)) return undefined;
    // interpreters cache bytecode next to system libraries; that is not tampering
    if (path.includes('/__pycache__/') || path.endsWith('.pyc')) return undefined;
    const t = TARGETS.find((x) => path.startsWith(x.prefix));
    if (t) {
      return {
        summary: `${ev.op} of ${path}: ${t.what}`,
        description: `A process modified ${t.what}, a common persistence or privilege-escalation step.`,
        dedupOn: path,
        mitre: t.mitre,
      };
    }
    if (BIN_DIRS.some((d) => path.startsWith(d))) {
      return {
        summary: `${ev.op} of ${path} in a binary directory`,
        description: 'Binary and library directories come from the image; modifying them at run time replaces trusted code.',
        dedupOn: path,
      };
    }
    return undefined;
  },
});
