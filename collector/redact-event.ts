// Applies secret redaction to every string field of an event that can carry a command
// line, a URL or a credential: the argv, each ancestor's argv, the cwd, a connect's DNS
// name. (Sources decode only the keys the format defines, so no other field carries
// input text; paths and executables are not redacted.)
import type { RuntimeEvent } from './event.ts';
import { redactArgs, redactText } from './redact.ts';

/**
 * Verdicts for argv arrays that are kept and handed out again, by identity: on a live
 * node each event's ancestors carry the process cache's arrays, the same objects event
 * after event, and an exec's argv is the array its process's cache entry keeps. The
 * process cache registers the arrays it keeps (`keptArgv`); the first redaction that
 * leaves one unchanged is remembered with its executable, and the next ones return it
 * without a look. An array never registered (a replayed event's, decoded afresh) is
 * redacted each time. Sound because an event's argv is never changed in place
 * (redaction returns a new array), so an array judged clean stays clean. A WeakMap: a
 * verdict goes with its array, nothing to bound.
 */
const verdicts = new WeakMap<readonly string[], string | null>();
/** whether any array was registered: a process with no process cache (a replay) does not look */
let anyKept = false;

/** args will be handed out again (a process cache entry's): remember its redaction */
export function keptArgv(args: readonly string[]): void {
  anyKept = true;
  if (!verdicts.has(args)) verdicts.set(args, null);
}

function redactKept(args: string[], exe: string): string[] {
  if (!anyKept) return redactArgs(args, exe);
  const v = verdicts.get(args);
  if (v === exe) return args;
  const r = redactArgs(args, exe);
  if (v !== undefined && r === args) verdicts.set(args, exe);
  return r;
}

export function redactEvent(ev: RuntimeEvent): void {
  const p = ev.process;
  // assign only what changed: a store into an event costs a write barrier, and
  // almost no argv needs redaction
  const args = redactKept(p.args, p.exe);
  if (args !== p.args) p.args = args;
  if (p.ancestors) {
    for (const a of p.ancestors) {
      if (!a.args) continue;
      const r = redactKept(a.args, a.exe);
      if (r !== a.args) a.args = r;
    }
  }
  if (p.cwd !== undefined && p.cwd.length > 5) p.cwd = redactText(p.cwd);
  if (ev.kind === 'connect' && ev.dns !== undefined) ev.dns = redactText(ev.dns);
}
