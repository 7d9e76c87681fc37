// The rule contract. One folder per rule under models/rules/<id>/rule.ts; the
// engine indexes rules by event kind so an event only meets the rules that care.
import type { EventKind, RuntimeEvent } from '../../collector/event.ts';
import type { Evidence, Mitre, Severity } from '../alert.ts';
import type { Observation } from '../baseline/profiler.ts';
import type { RecentExec } from '../siblings.ts';
import type { CommandKnowledge } from '../baseline/commands.ts';
import { SHELLS } from '../baseline/lineage.ts';

export interface RuleContext {
  obs: Observation;
  now: number;
  /** did this container write (create/modify/rename-to) this exact path earlier? */
  containerWrote(path: string): boolean;
  /** execs this container saw since `since` (event time) by other children of `ppid` (siblings.ts) */
  siblings(ppid: number, pid: number, since: number): readonly RecentExec[];
  /** every exec this container saw since `since` (event time), oldest first, bounded (siblings.ts) */
  recentExecs(since: number): readonly RecentExec[];
  /** the distinct ports process `pid` connected to on `proto` `addr` since `since`, this connection included (recent-connects.ts) */
  portsReached(pid: number, proto: string, addr: string, since: number): ReadonlySet<number>;
  /** has this container's baseline seen `exe` run with these arguments? (baseline/commands.ts) */
  command(exe: string, args: string[]): CommandKnowledge;
}

export interface RuleHit {
  summary: string;
  /** why this is unusual; the engine appends baseline context */
  description?: string;
  /** separates distinct alerts of one rule in one workload (e.g. the item) */
  dedupOn: string;
  evidence?: Evidence;
  severity?: Severity;
  mitre?: Mitre;
  /** closest known items, when the rule knows better than the baseline */
  expected?: string[];
  /** the items this hit is about, for fan-out folding (models/fanout.ts); default: the event's novel items (novelty) or dedupOn */
  items?: string[];
}

export interface Rule {
  id: string;
  title: string;
  kinds: readonly EventKind[];
  severity: Severity;
  mitre: Mitre;
  /** novelty rules compare against a stable baseline; built-ins run in every state */
  novelty: boolean;
  evaluate(ev: RuntimeEvent, ctx: RuleContext): RuleHit | undefined;
  /** the one-line summary of a fan-out finding, from its folded evidence */
  describeFold?(ev: RuntimeEvent, e: Evidence): string;
}

export function defineRule(r: Rule): Rule {
  return r;
}

/** basename of a path */
export function base(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** how a summary names the process of an event: its executable, else its pid, else what the source said */
export function processLabel(ev: RuntimeEvent): string {
  const p = ev.process;
  if (p.exe !== '') return p.exe;
  if (p.pid > 0) return `pid ${p.pid}`;
  return ev.kind === 'syscall' && ev.aggregated ? 'a process of this container (the source aggregated the calls)' : 'an unknown process';
}

export { SHELLS };

/**
 * The program a process is: its executable's name, or for a multi-call binary (busybox,
 * toybox) the applet it was run as (argv[0]): `/bin/busybox` run as `cat` is cat.
 */
export function programName(p: { exe: string; args: readonly string[] }): string {
  const name = base(p.exe);
  if ((name === 'busybox' || name === 'toybox') && p.args.length > 0) {
    const a0 = base(p.args[0]);
    if (a0 !== name) return a0;
    if (p.args.length > 1) return base(p.args[1]);
  }
  return name;
}

/**
 * What a shell process runs: a command string (`-c`), a script (its first operand), or
 * what it reads from stdin (no operand: a terminal, or a pipe). `rest` is argv after the
 * shell's own name (for busybox, after the applet).
 */
export function shellInput(rest: readonly string[]): 'command' | 'script' | 'stdin' {
  for (const a of rest) {
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) return 'command';
    if (a === '-s' || a === '-') return 'stdin';
    if (!a.startsWith('-') && !a.startsWith('+')) return 'script';
  }
  return 'stdin';
}

/** the arguments of a shell process after its name (and a busybox applet) */
export function shellArgs(p: { exe: string; args: readonly string[] }): readonly string[] {
  return base(p.exe) === 'busybox' && p.args.length > 1 && base(p.args[0]) === 'busybox' ? p.args.slice(2) : p.args.slice(1);
}

// interpreters whose first operand is a script file (`python3 /tmp/x.py`); options
// before it are not parsed (an option with a value would be taken for the script)
const SCRIPT_INTERPRETERS = /^(?:python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|lua[0-9.]*|tclsh[0-9.]*)$/;

/**
 * The script file a process runs when it is a shell or an interpreter given one
 * (`sh /tmp/art.sh`, `bash -x ./run.sh`, `python3 /tmp/x.py`): the file that is really
 * executed while the executable is the interpreter. Relative paths resolve against the
 * process's cwd (none when it is unknown). Undefined for anything else.
 */
export function scriptOf(p: { exe: string; args: readonly string[]; cwd?: string }): string | undefined {
  const name = programName(p);
  let script: string | undefined;
  if (SHELLS.has(name)) {
    const rest = shellArgs(p);
    if (shellInput(rest) !== 'script') return undefined;
    script = rest.find((a) => !a.startsWith('-') && !a.startsWith('+'));
  } else if (SCRIPT_INTERPRETERS.test(name)) {
    const first = p.args[1];
    if (first !== undefined && !first.startsWith('-')) script = first;
  }
  if (script === undefined || script === '') return undefined;
  if (script.startsWith('/')) return script;
  if (p.cwd === undefined || !p.cwd.startsWith('/')) return undefined;
  return `${p.cwd.endsWith('/') ? p.cwd : p.cwd + '/'}${script.startsWith('./') ? script.slice(2) : script}`;
}

/** programs people (and attackers) use to read, copy or send a file by hand */
export const READ_TOOLS: ReadonlySet<string> = new Set([
  ...['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'fish', 'tcsh', 'csh', 'busybox'],
  ...['cat', 'tac', 'head', 'tail', 'less', 'more', 'nl', 'od', 'xxd', 'hexdump', 'strings', 'base64', 'base32', 'basenc', 'grep', 'egrep', 'fgrep', 'awk', 'gawk', 'mawk', 'sed', 'cut', 'sort', 'tr'],
  ...['cp', 'dd', 'tar', 'zip', 'gzip', 'bzip2', 'xz', 'zstd', 'rsync', 'scp', 'sftp', 'curl', 'wget', 'nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional', 'socat', 'openssl'],
  ...['vi', 'vim', 'nano', 'ed', 'view', 'kubectl'],
]);
