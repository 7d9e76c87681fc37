// Pipelines into a shell (`curl … | sh`, `echo … | base64 -d | bash`): a shell reading
// its script from stdin, started side by side with the program that produces it. The
// shell starting both is their common parent; the two execs arrive in either order, so
// each side looks for the other among its recent siblings (models/siblings.ts).
import type { RuntimeEvent } from '../../collector/event.ts';
import type { RecentExec } from '../siblings.ts';
import { programName, shellArgs, shellInput, SHELLS, type RuleContext } from './types.ts';

/**
 * how far apart (ms, event time) the two sides of one pipeline may start: their shell
 * forks them one after the other, so they exec within milliseconds of each other however
 * long the download takes; half a second leaves room for a loaded node without pairing
 * commands a script runs one after the other
 */
export const PIPE_WINDOW_MS = 500;

export interface Producer {
  (name: string, args: readonly string[]): boolean;
}

function stdinShell(name: string, exe: string, args: readonly string[]): boolean {
  return SHELLS.has(name) && shellInput(shellArgs({ exe, args })) === 'stdin';
}

/** the other side of a pipe into a shell this exec is part of, if any */
export function pipedWith(ev: RuntimeEvent, ctx: RuleContext, isProducer: Producer): { producer: RecentExec | RuntimeEvent['process']; shell: RecentExec | RuntimeEvent['process'] } | undefined {
  if (ev.kind !== 'exec') return undefined;
  const p = ev.process;
  if (p.ppid === undefined) return undefined;
  const name = programName(p);
  const imShell = stdinShell(name, p.exe, p.args);
  const imProducer = !imShell && isProducer(name, p.args);
  if (!imShell && !imProducer) return undefined;
  for (const s of ctx.siblings(p.ppid, p.pid, ev.time - PIPE_WINDOW_MS)) {
    if (imShell && isProducer(s.name, s.args)) return { producer: s, shell: p };
    if (imProducer && stdinShell(s.name, s.exe, s.args)) return { producer: p, shell: s };
  }
  return undefined;
}

export const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'lwp-download', 'lwp-request', 'GET', 'http', 'tftp', 'ftp']);

/** decoders of base64 and friends, by name and the option that makes them decode */
export function isDecoder(name: string, args: readonly string[]): boolean {
  const rest = args.slice(1);
  switch (name) {
    case 'base64':
    case 'base32':
    case 'basenc':
      return rest.some((a) => a === '-d' || a === '--decode' || a === '-D' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(a));
    case 'openssl':
      return (rest.includes('base64') || rest.includes('-base64') || rest.includes('-a')) && rest.includes('-d');
    case 'xxd':
      return rest.some((a) => a === '-r' || a === '-revert' || /^-[a-z]*r[a-z]*$/.test(a));
    case 'uudecode':
      return true;
    default:
      return false;
  }
}
