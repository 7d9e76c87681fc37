// The rule contract. One folder per rule under models/rules/<id>/rule.ts; the
// engine indexes rules by event kind so an event only meets the rules that care.
import type { EventKind, RuntimeEvent } from '../../collector/event.ts';
import type { Evidence, Mitre, Severity } from '../alert.ts';
import type { FoldPart } from '../fanout.ts';
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
  /**
   * what kind of finding this is within its rule, when a rule raises more than one (a
   * new binary, or a known binary from a new parent): a fan-out finding lists its items
   * by kind (FoldPart) for describeFold; default ''
   */
  fold?: string;
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
  /** the one-line summary of a fan-out finding, from its folded evidence and its items by kind (RuleHit.fold) */
  describeFold?(ev: RuntimeEvent, e: Evidence, parts: readonly FoldPart[]): string;
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

// interpreters whose first operand is a script file (`python3 /tmp/x.py`,
// `python3 -u /tmp/x.py`). Their options come first: a word starting with `-` is an
// option; `code` options run their argument instead of a script (`python3 -c …`, `-m
// mod`: no script file); `value` options take the next word (`-W ignore`, `-r mod`), so
// it is not the script; `file` options name the script (`php -f x.php`). An option with
// a value of its own not listed here would have its value taken for the script.
interface InterpreterOptions {
  code: ReadonlySet<string>;
  value: ReadonlySet<string>;
  file?: ReadonlySet<string>;
}
const set = (...s: string[]): ReadonlySet<string> => new Set(s);
const INTERPRETER_OPTIONS: readonly [RegExp, InterpreterOptions][] = [
  [/^python[0-9.]*$/, { code: set('-c', '-m'), value: set('-W', '-X', '--check-hash-based-pycs') }],
  [/^perl[0-9.]*$/, { code: set('-e', '-E'), value: set() }], // perl's switches carry their values attached
  [/^ruby[0-9.]*$/, { code: set('-e'), value: set('-I', '-r', '-C', '-E', '--encoding') }],
  [/^(?:node|nodejs)$/, { code: set('-e', '--eval', '-p', '--print'), value: set('-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--title') }],
  [/^php[0-9.]*$/, { code: set('-r'), value: set('-c', '-d', '-z'), file: set('-f') }],
  [/^lua[0-9.]*$/, { code: set('-e'), value: set('-l') }],
  [/^tclsh[0-9.]*$/, { code: set(), value: set('-encoding') }],
];

/** the script operand of an interpreter's argv (after its options), undefined when it runs code or stdin */
function interpreterScript(opts: InterpreterOptions, args: readonly string[]): string | undefined {
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (a === '-' || a === '') return undefined; // stdin
    if (!a.startsWith('-')) return a;
    const name = a.startsWith('--') ? a.split('=', 1)[0] : a.slice(0, 2);
    if (opts.code.has(name)) return undefined;
    // a value attached (`-Wignore`, `--import=x`) or in the next word
    const attached = a.startsWith('--') ? a.includes('=') : a.length > 2;
    if (opts.file?.has(name)) return attached ? a.slice(2) : args[i + 1];
    if (opts.value.has(name) && !attached) i++;
  }
  return undefined;
}

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
  } else {
    const opts = INTERPRETER_OPTIONS.find(([re]) => re.test(name))?.[1];
    if (opts) script = interpreterScript(opts, p.args);
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
