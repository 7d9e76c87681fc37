// The exec of the agent's own CLI (bin/habitwatch.js, or a link to it such as
// node_modules/.bin/habitwatch or the image's /usr/bin/habitwatch): recognised by the file
// the kernel executed — its device and inode, looked up through the process's own root
// (/proc/PID/root), so a namesake elsewhere or in another container is not it — never by
// name alone. Only that exec is the agent's own: what the CLI process does next is judged
// like any process's (node options can load other code into it).
import { basename } from 'node:path';
import { statSync } from 'node:fs';
import type { ProcessInfo } from '../event.ts';

export function ownCliExec(scripts: string[], procRoot = '/proc'): (p: ProcessInfo) => boolean {
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const s of scripts) {
    try {
      const st = statSync(s);
      ids.add(`${st.dev}:${st.ino}`);
      names.add(basename(s)).add(basename(s).replace(/\.js$/, ''));
    } catch {
      /* not installed here */
    }
  }
  const same = (path: string): boolean => {
    try {
      const st = statSync(path);
      return ids.has(`${st.dev}:${st.ino}`);
    } catch {
      return false;
    }
  };
  return (p) => {
    if (ids.size === 0 || p.exe.charCodeAt(0) !== 47 /* / */ || !names.has(basename(p.exe))) return false;
    // the process's root, or (it may be gone already) its parent's, which it inherited
    for (const pid of [p.pid, p.ppid, ...(p.ancestors ?? []).map((a) => a.pid)]) {
      if (pid === undefined || pid <= 0) continue;
      const root = `${procRoot}/${pid}/root`;
      try {
        statSync(`${root}/`);
      } catch {
        continue;
      }
      return same(`${root}${p.exe}`);
    }
    return false;
  };
}
