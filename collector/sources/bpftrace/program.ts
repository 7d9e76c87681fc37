// Builds the bpftrace program text from the shipped habitwatch.bt: keeps only the blocks
// whose tracepoints exist on this kernel (so one file works from 5.x to current kernels,
// e.g. fchmodat2 and openat2 are missing on older ones), fills in the interval, and
// expands the program's few macros:
//
//   // @define NAME p1 p2 …   (in the header, before the first @needs)
//   …body, with {p1} {p2} standing for the arguments…
//   // @end
//   __NAME__ a1 a2 …           (a line of its own in a block: replaced by the body)
//
// bpftrace has no functions, and the open probes (open, openat, openat2) share their
// logic; a macro keeps one copy of it in the .bt file. `__SENSITIVE_ABS__ addr w0 hit`
// and `__SENSITIVE_REL__ …` lines become the kernel matcher of the sensitive-path list
// (sensitive.ts). With an empty list, the READ_ENTER macro expands to nothing and no read
// is looked at. With cgroupPrefixes, every tracepoint probe gets the kernel side of the
// prefix filter as its predicate (cgroup-filter.ts).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { matcherCode, parsePatterns, DEFAULT_SENSITIVE_PATHS } from './sensitive.ts';
import { filterProbes } from './cgroup-filter.ts';

export const PROGRAM_FILE = join(dirname(fileURLToPath(import.meta.url)), 'habitwatch.bt');

export interface Block {
  /** tracepoints as `category/event`, empty for blocks that need none (interval, END) */
  needs: string[];
  text: string;
}

const NEEDS = /^\/\/ @needs:(.*)$/;

/** splits the program at `// @needs:` lines; text before the first one is a header */
export function splitBlocks(source: string): { header: string; blocks: Block[] } {
  const lines = source.split('\n');
  const header: string[] = [];
  const blocks: Block[] = [];
  let cur: Block | undefined;
  for (const line of lines) {
    const m = NEEDS.exec(line);
    if (m) {
      cur = { needs: m[1].trim().split(/\s+/).filter(Boolean), text: '' };
      blocks.push(cur);
      continue;
    }
    if (cur) cur.text += line + '\n';
    else header.push(line);
  }
  return { header: header.join('\n'), blocks };
}

export interface Macro {
  params: string[];
  body: string;
}

/** `// @define NAME params…` … `// @end` sections of the header */
export function parseMacros(header: string): Map<string, Macro> {
  const out = new Map<string, Macro>();
  let name: string | undefined;
  let cur: Macro | undefined;
  for (const line of header.split('\n')) {
    const d = /^\/\/ @define ([A-Z_]+)((?: [a-z0-9_]+)*)\s*$/.exec(line);
    if (d) {
      name = d[1];
      cur = { params: d[2].trim().split(/\s+/).filter(Boolean), body: '' };
      continue;
    }
    if (line.startsWith('// @end') && name && cur) {
      out.set(name, cur);
      name = undefined;
      cur = undefined;
      continue;
    }
    if (cur) cur.body += line + '\n';
  }
  return out;
}

const CALL = /^[ \t]*__([A-Z_]+)__((?:[ \t]+\S+)*)[ \t]*$/gm;

/** replaces `__NAME__ args` lines; `expand` handles the names that are not macros */
function expandCalls(text: string, macros: Map<string, Macro>, other: (name: string, args: string[], indent: string) => string | undefined): string {
  return text.replace(CALL, (line: string, name: string, argText: string) => {
    const args = argText.trim() === '' ? [] : argText.trim().split(/\s+/);
    const indent = /^[ \t]*/.exec(line)![0];
    const m = macros.get(name);
    if (m) {
      if (args.length !== m.params.length) throw new Error(`habitwatch.bt: ${name} takes ${m.params.length} argument(s), got ${args.length}`);
      let body = m.body.replace(/\n$/, '');
      m.params.forEach((p, i) => (body = body.replaceAll(`{${p}}`, args[i])));
      return expandCalls(body, macros, other);
    }
    const r = other(name, args, indent);
    if (r === undefined) throw new Error(`habitwatch.bt: unknown macro ${name}`);
    return r.replace(/\n$/, '');
  });
}

export interface BuildOptions {
  intervalS: number;
  /** does this tracepoint exist? defaults to looking in tracefs */
  hasTracepoint?: (tp: string) => boolean;
  tracefs?: string;
  source?: string;
  /** tracepoints to leave out on purpose (config), as `category/event` */
  exclude?: string[];
  /** read-only opens of these paths are reported (sensitive.ts syntax); [] reports none */
  sensitivePaths?: readonly string[];
  /** a predicate every tracepoint probe gets: the kernel side of cgroupPrefixes (cgroup-filter.ts) */
  cgroupPredicate?: string;
}

export interface BuiltProgram {
  text: string;
  /** tracepoints left out because the kernel lacks them */
  missing: string[];
}

export function buildProgram(opts: BuildOptions): BuiltProgram {
  const tracefs = opts.tracefs ?? '/sys/kernel/tracing';
  const has = opts.hasTracepoint ?? ((tp: string) => existsSync(join(tracefs, 'events', tp)));
  const { header, blocks } = splitBlocks(opts.source ?? readFileSync(PROGRAM_FILE, 'utf8'));
  const macros = parseMacros(header);
  const patterns = parsePatterns(opts.sensitivePaths ?? DEFAULT_SENSITIVE_PATHS);
  // no list: reads are not looked at (the write half of the open probes stays)
  if (patterns.length === 0 && macros.has('READ_ENTER')) macros.set('READ_ENTER', { params: macros.get('READ_ENTER')!.params, body: '' });
  const missing: string[] = [];
  let text = '';
  const exclude = new Set(opts.exclude ?? []);
  for (const b of blocks) {
    if (b.needs.some((tp) => exclude.has(tp))) continue;
    const absent = b.needs.filter((tp) => !has(tp));
    if (absent.length > 0) {
      missing.push(...absent);
      continue;
    }
    text += b.text;
  }
  text = expandCalls(text, macros, (name, args, indent) => {
    if (name !== 'SENSITIVE_ABS' && name !== 'SENSITIVE_REL') return undefined;
    if (args.length !== 3) throw new Error(`habitwatch.bt: ${name} takes addr w0 hit`);
    return matcherCode(patterns, { addr: args[0], w0: args[1], hit: args[2], relative: name === 'SENSITIVE_REL', indent });
  });
  text = filterProbes(text, opts.cgroupPredicate);
  const interval = Math.max(1, Math.round(opts.intervalS));
  return { text: text.replaceAll('__INTERVAL_S__', String(interval)), missing };
}
