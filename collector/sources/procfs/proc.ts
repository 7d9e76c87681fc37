// Reading one process from /proc. Synchronous on purpose: procfs files are generated
// in memory, small, and a poll reads hundreds of them — the promise machinery would
// cost more than the reads. Every read tolerates the process having exited (ENOENT).
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { scriptOf } from '../../enrich/procs.ts';

export interface StatLine {
  comm: string;
  ppid: number;
  /** clock ticks after boot (field 22): with the pid, identifies a process across pid reuse */
  start: number;
  kthread: boolean;
}

const PF_KTHREAD = 0x00200000;

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** `pid (comm) S ppid …`; comm may hold spaces and parentheses, so cut at the last ')' */
export function parseStat(s: string): StatLine | undefined {
  const open = s.indexOf('(');
  const close = s.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = s.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3]
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const start = Number(rest[19]);
  if (!Number.isFinite(ppid) || !Number.isFinite(start)) return undefined;
  return { comm: s.slice(open + 1, close), ppid, start, kthread: (flags & PF_KTHREAD) !== 0 };
}

/** the cgroup v2 path (`0::/path`); on a v1-only host, the name=systemd hierarchy */
export function parseCgroup(s: string): string | undefined {
  let v1: string | undefined;
  for (const line of s.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3);
    const m = /^\d+:name=systemd:(.*)$/.exec(line);
    if (m) v1 = m[1];
  }
  return v1;
}

/** real uid from the `Uid:` line of /proc/PID/status */
export function parseUid(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

export function parseCmdline(s: string): string[] {
  if (s === '') return [];
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface ProcInfo extends StatLine {
  pid: number;
  exe: string;
  args: string[];
  uid?: number;
  cwd?: string;
  cgroup?: string;
  netns?: string;
}

export function readProc(root: string, pid: number, stat: StatLine): ProcInfo {
  const dir = `${root}/${pid}`;
  const args = parseCmdline(readText(`${dir}/cmdline`) ?? '');
  const raw = readLink(`${dir}/exe`);
  // a script run directly is named by its script, as the other sources' exec records name it
  const exe = (raw !== undefined ? scriptOf(dir, raw, stat.comm, args) : undefined) ?? raw ?? args[0] ?? stat.comm;
  const info: ProcInfo = { ...stat, pid, exe, args: args.length > 0 ? args : [exe] };
  const status = readText(`${dir}/status`);
  const uid = status ? parseUid(status) : undefined;
  if (uid !== undefined) info.uid = uid;
  const cwd = readLink(`${dir}/cwd`);
  if (cwd) info.cwd = cwd;
  const cg = readText(`${dir}/cgroup`);
  const path = cg ? parseCgroup(cg) : undefined;
  if (path) info.cgroup = path;
  const ns = readLink(`${dir}/ns/net`);
  if (ns) info.netns = ns;
  return info;
}
