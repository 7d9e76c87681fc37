// Discovery typed into a shell: several account, system and network discovery commands
// (id, whoami, uname, hostname, ps, ip, netstat, cat /etc/passwd…) run one after the
// other by an interactive shell, or one reading its commands from a pipe. Scripts run
// such commands too (an entrypoint's `id -u`, `uname -m`), but a script is a shell with
// a command or a file to run; a shell reading stdin is a person, or a remote shell, at
// the keyboard. Judged by what the commands are and who types them, not by whether the
// workload knows the binaries: `ps` in the baseline hides nothing here.
import type { RuntimeEvent } from '../../../collector/event.ts';
import { base, defineRule, programName, shellInput, SHELLS } from '../types.ts';

const COMMANDS = new Set([
  ...['id', 'whoami', 'groups', 'users', 'who', 'w', 'last', 'lastlog', 'getent'],
  ...['uname', 'hostname', 'hostnamectl', 'lsb_release', 'lscpu', 'nproc', 'free', 'uptime', 'df', 'env', 'printenv'],
  ...['ps', 'pstree', 'top', 'netstat', 'ss', 'ifconfig', 'ip', 'route', 'arp', 'lsof', 'nmap'],
]);
const FILES = /^\/etc\/(?:passwd|group|os-release|issue|hosts|resolv\.conf|crontab)$|^\/proc\/(?:version|cpuinfo|net\/\w+)$/;
/** distinct discovery commands in this window make a burst */
const WINDOW_MS = 60_000;
const ENOUGH = 3;

/** the discovery this exec is, if any (a command, or cat of a telling file) */
function discovery(name: string, args: readonly string[]): string | undefined {
  if (COMMANDS.has(name)) return name;
  if ((name === 'cat' || name === 'head' || name === 'grep') && args.some((a) => FILES.test(a))) return `${name} ${args.find((a) => FILES.test(a))}`;
  return undefined;
}

function typedIntoShell(ev: RuntimeEvent): boolean {
  const parent = ev.process.ancestors?.[0];
  if (parent === undefined) return false;
  const name = base(parent.exe);
  if (!SHELLS.has(name)) return false;
  return parent.args !== undefined && shellInput(parent.args.slice(1)) === 'stdin';
}

export default defineRule({
  id: 'discovery-commands',
  title: 'Discovery commands typed into a shell',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1082', name: 'System Information Discovery', tactic: 'discovery' },
  novelty: false,
  evaluate(ev, ctx) {
    const p = ev.process;
    if (ev.kind !== 'exec' || p.ppid === undefined) return undefined;
    const what = discovery(programName(p), p.args);
    if (what === undefined || !typedIntoShell(ev)) return undefined;
    const seen = new Set([what]);
    for (const s of ctx.siblings(p.ppid, p.pid, ev.time - WINDOW_MS)) {
      const d = discovery(s.name, s.args);
      if (d !== undefined) seen.add(d);
    }
    if (seen.size < ENOUGH) return undefined;
    const shell = ev.process.ancestors![0].exe;
    return {
      summary: `${seen.size} discovery commands typed into ${shell} (pid ${p.ppid}): ${[...seen].join(', ')}`,
      description: 'Account, system and network discovery run by hand from a shell: how an intruder looks around after getting in.',
      dedupOn: `${shell}:${p.ppid}`,
    };
  },
});
