// `cgroupPrefixes` in the kernel: a predicate every event probe of habitwatch.bt gets
// (program.ts), so the events of cgroups the agent does not watch never leave the
// kernel — no record for bpftrace to format and write, none for the agent to read,
// parse and drop. On a node that watches /kubepods, the host's own daemons and shells
// cost the agent nothing.
//
// The prefixes keep their meaning (a plain string prefix of the cgroup path: `/kubepods`
// keeps /kubepods/… and /kubepods.slice/…), which the parser still applies exactly. The
// kernel side is a superset of it, made from the directories that exist when bpftrace
// starts, and never drops an event the prefix keeps:
//   - a prefix whose parent directory D exists (`/kubepods.slice/kubepods-burstable`):
//     the task's cgroup is below D, i.e. its ancestor at D's depth is D (an id compare);
//   - a prefix of the first level (`/kubepods`): the task is not in the root cgroup, and
//     its first-level ancestor is none of the first-level directories that exist now and
//     do not match (`system.slice`, `user.slice`, `init.scope`…). A first-level
//     directory made later passes, and the parser decides;
//   - a prefix whose parent does not exist yet, or `/`: no kernel filter.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** the task's cgroup (v2) as bpftrace reads it; the cast makes bpftrace resolve its full BTF type */
const CGROUP = '((struct cgroup *)curtask->cgroups->dfl_cgrp)';

/** its ancestor at `level`: `ancestors` is a flexible array (size 0 in BTF), read through a pointer */
const ancestorId = (level: number): string => `((struct cgroup **)${CGROUP}->ancestors)[${level}]->kn->id`;

/** id (inode) of a cgroup directory, or undefined when it does not exist */
function idOf(abs: string): string | undefined {
  try {
    const st = statSync(abs, { bigint: true });
    return st.isDirectory() ? st.ino.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bpftrace predicate expression for these prefixes, or undefined when the kernel
 * cannot narrow them (no prefixes, `/`, or a parent directory that does not exist).
 */
export function cgroupPredicate(prefixes: readonly string[], root: string | undefined): string | undefined {
  if (prefixes.length === 0 || root === undefined) return undefined;
  const terms: string[] = [];
  for (const prefix of prefixes) {
    const segs = prefix.split('/').filter((s) => s !== '');
    if (segs.length === 0) return undefined; // `/` keeps everything
    if (segs.length === 1) {
      // first level: not the root cgroup, and not under a first-level directory that cannot match
      let others: string[];
      try {
        others = readdirSync(root, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith(segs[0]))
          .map((e) => idOf(join(root, e.name)))
          .filter((id): id is string => id !== undefined);
      } catch {
        return undefined;
      }
      terms.push(`(${CGROUP}->level >= 1${others.map((id) => ` && ${ancestorId(1)} != ${id}`).join('')})`);
      continue;
    }
    // deeper: below the prefix's parent directory (the last segment is matched as a string by the parser)
    const level = segs.length - 1;
    const parent = idOf(join(root, ...segs.slice(0, level)));
    if (parent === undefined) return undefined;
    terms.push(`(${CGROUP}->level > ${level} && ${ancestorId(level)} == ${parent})`);
  }
  return terms.length === 1 ? terms[0] : `(${terms.join(' || ')})`;
}

/**
 * The program with the predicate added to every tracepoint probe: ANDed after a
 * predicate it already has (cheap checks first), or as its predicate.
 */
export function filterProbes(text: string, predicate: string | undefined): string {
  if (predicate === undefined) return text;
  return text.replace(/^(tracepoint:[^\s/{]+)[ \t]*(?:\/(.*)\/)?[ \t]*$/gm, (_m, probe: string, existing: string | undefined) =>
    existing !== undefined ? `${probe} /(${existing}) && ${predicate}/` : `${probe} /${predicate}/`,
  );
}
