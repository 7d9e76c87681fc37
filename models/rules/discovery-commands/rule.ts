// Discovery run by hand: several account, system and network discovery commands (id,
// whoami, uname, hostname, ps, ip, netstat, cat /etc/passwd…) within a minute, each run
// by a shell that reads its commands from a terminal or a pipe, or by a one-line
// `sh -c '…'` the workload never ran before (how an intruder's tooling, an RCE or an
// attack framework runs commands). Scripts run such commands too (an entrypoint's
// `id -u`, `uname -m`), but a script is a shell with a file to run, and the workload's
// own one-liners (a cron line, a probe) were learned with their arguments. Judged by
// what the commands are and who runs them, not by whether the workload knows the
// binaries: `ps` in the baseline hides nothing here.
import type { RuleContext } from '../types.ts';
import { base, defineRule, programName, shellArgs, shellInput, SHELLS } from '../types.ts';

const COMMANDS = new Set([
  ...['id', 'whoami', 'groups', 'users', 'who', 'w', 'last', 'lastlog', 'getent'],
  ...['uname', 'hostname', 'hostnamectl', 'lsb_release', 'lscpu', 'nproc', 'free', 'uptime', 'df', 'env', 'printenv'],
  ...['ps', 'pstree', 'top', 'netstat', 'ss', 'ifconfig', 'ip', 'route', 'arp', 'lsof', 'nmap'],
]);
const FILES = /^\/etc\/(?:passwd|group|sudoers|os-release|lsb-release|issue|hosts|resolv\.conf|crontab)$|^\/proc\/(?:version|cpuinfo|net\/\w+)$/;
/** distinct discovery commands in this window make a burst */
const WINDOW_MS = 60_000;
const ENOUGH = 3;

/** the discovery this exec is, if any (a command, or cat of a telling file) */
function discovery(name: string, args: readonly string[]): string | undefined {
  if (COMMANDS.has(name)) return name;
  if ((name === 'cat' || name === 'head' || name === 'grep') && args.some((a) => FILES.test(a))) return `${name} ${args.find((a) => FILES.test(a))}`;
  return undefined;
}

/** how the parent shell got its commands: typed (stdin), a new one-liner, else not by hand */
function byHand(exe: string | undefined, args: readonly string[] | undefined, ctx: RuleContext): 'typed' | 'one-liner' | undefined {
  if (exe === undefined || args === undefined) return undefined;
  const p = { exe, args };
  if (!SHELLS.has(programName(p))) return undefined;
  const input = shellInput(shellArgs(p));
  if (input === 'stdin') return 'typed';
  if (input === 'command' && ctx.command(exe, [...args]) === 'new') return 'one-liner';
  return undefined;
}

export default defineRule({
  id: 'discovery-commands',
  title: 'Discovery commands run by hand',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1082', name: 'System Information Discovery', tactic: 'discovery' },
  novelty: false,
  evaluate(ev, ctx) {
    const p = ev.process;
    if (ev.kind !== 'exec' || p.ppid === undefined) return undefined;
    const what = discovery(programName(p), p.args);
    if (what === undefined) return undefined;
    const anc = p.ancestors ?? [];
    const how = byHand(anc[0]?.exe, anc[0]?.args, ctx);
    if (how === undefined) return undefined;
    const seen = new Set([what]);
    for (const s of ctx.recentExecs(ev.time - WINDOW_MS)) {
      if (s.pid === p.pid) continue;
      const d = discovery(s.name, s.args);
      if (d !== undefined && !seen.has(d) && byHand(s.parentExe, s.parentArgs, ctx) !== undefined) seen.add(d);
    }
    if (seen.size < ENOUGH) return undefined;
    const shell = anc[0].exe;
    // the session: a typed-into shell itself; one-liners, the process that ran them
    const session = how === 'typed' ? `${shell}:${p.ppid}` : `${anc[1]?.exe ?? shell}:${anc[1]?.pid ?? p.ppid}`;
    const who = how === 'typed' ? `typed into ${shell} (pid ${p.ppid})` : `run by new one-line ${base(shell)} -c commands${anc[1] !== undefined ? ` of ${anc[1].exe}${anc[1].pid !== undefined ? ` (pid ${anc[1].pid})` : ''}` : ''}`;
    return {
      summary: `${seen.size} discovery commands ${who}: ${[...seen].join(', ')}`,
      description: 'Account, system and network discovery run by hand from a shell: how an intruder looks around after getting in.',
      dedupOn: session,
    };
  },
});
