// Lineage: which parent an exec is judged by. An exec item remembers the parents it was
// seen with, and a known binary started by a parent it never had is an alert
// (unexpected-exec). The parent that matters is the program that decided to run it, not
// the plumbing in between: shells, and programs whose whole job is to run another
// (env, nice, timeout, nohup, xargs…), pass a command on without deciding anything.
// Judged by the immediate parent, a worker whose script sometimes runs a tool directly
// and sometimes through a shim script or `bash -c` has "a parent it never had" for each
// path through the same known tree (issue 13). Judged by the nearest ancestor that is
// not plumbing, all of them are the worker — while a tool run from another part of the
// tree (the web service instead of the cron script, an exec into the container instead
// of its init) is still a new parent, for any workload.
//
// What counts as plumbing is decided by name, on purpose narrowly:
// - shells, and shell scripts: a script run directly keeps the interpreter as argv[0]
//   (the kernel puts `/bin/bash /app/run.sh` in argv for `#!/bin/bash`), so a process
//   whose argv[0] is a shell is a shell, whatever its executable path says;
// - exec wrappers that only adjust how the next program runs.
// Interpreters (python, node, ruby…) are not plumbing: their script is the application,
// and "the python service ran sh" is exactly the lineage worth keeping. Nor are init
// processes (tini, dumb-init) or privilege changers (sudo, su): they tell the container's
// own tree from a process exec'd into it, or a user's command from a service's.
import type { Ancestor } from '../../collector/event.ts';

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'fish', 'tcsh', 'csh', 'busybox']);

/** programs whose job is to run the command they are given */
export const EXEC_WRAPPERS = new Set(['env', 'nice', 'nohup', 'timeout', 'setsid', 'stdbuf', 'ionice', 'chrt', 'taskset', 'flock', 'xargs', 'time', 'unbuffer', 'chronic']);

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** a shell, a shell script, or an exec wrapper: a lineage passes through it */
export function isPlumbing(a: Ancestor): boolean {
  const name = baseName(a.exe);
  if (SHELLS.has(name) || EXEC_WRAPPERS.has(name)) return true;
  const argv0 = a.args?.[0];
  return argv0 !== undefined && argv0 !== a.exe && SHELLS.has(baseName(argv0));
}

/**
 * The executable an exec's lineage is judged by: its nearest ancestor that is not
 * plumbing; when every known ancestor is, the farthest one (the top of what is known of
 * the tree). undefined when no ancestor is known.
 */
export function lineageExe(ancestors: readonly Ancestor[] | undefined): string | undefined {
  if (ancestors === undefined || ancestors.length === 0) return undefined;
  for (let i = 0; i < ancestors.length; i++) if (!isPlumbing(ancestors[i])) return ancestors[i].exe;
  return ancestors[ancestors.length - 1].exe;
}
