// What /proc says about a process (the process cache's miss path, collector/enrich/procs.ts):
// its executable, name, argv, parent, uid and cgroup, and when it started (to tell a
// reused pid). A script run directly is named by its script, as its exec names it.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Ancestor } from '../event.ts';
import { cgroupPathFromProc } from './proc-cgroup.ts';

export interface ProcEntry {
  pid: number;
  ppid?: number;
  exe: string;
  args: string[];
  uid?: number;
  /**
   * its name as the kernel has it (comm, 15 bytes at most): /proc/PID/status's Name, or
   * from an exec, the file name it ran (which is what the kernel names it)
   */
  comm?: string;
  cgroupPath?: string;
  /** raw /proc/PID/cgroup text when read from procfs (for v1 container lookups) */
  cgroupText?: string;
  /** where the entry came from */
  from: 'exec' | 'procfs';
  /**
   * its ppid is the one a kernel record gave (a child's exec named it: procs.ts adopted),
   * not whatever /proc names now; an exec's entry always is
   */
  attested?: boolean;
  /** when it was known to be right (epoch ms): its exec event's time, or when /proc was read */
  seen?: number;
  /** this process as an ancestor, and its own ancestry: built once, shared by events */
  asAncestor?: Ancestor;
  chain?: Ancestor[];
  /**
   * its ancestry as resolved at its exec, when the process found under its ppid then was
   * not its parent as the kernel named it at the exec (parentAtExec): used instead of
   * looking the ppid up again
   */
  parents?: Ancestor[];
}

export interface ProcReader {
  read(pid: number): Omit<ProcEntry, 'from'> | undefined;
  /** when the process holding pid now started (epoch ms); undefined when none does */
  startedMs?(pid: number): number | undefined;
  /** whether a process holds pid (cheaper than startedMs) */
  exists?(pid: number): boolean;
}

/** clock ticks per second of /proc/PID/stat's start time (USER_HZ: 100 on every Linux ABI Node runs on) */
const USER_HZ = 100;

/** reads /proc/PID/{exe,cmdline,status,cgroup}; undefined when the process is gone */
export function procfsReader(root = '/proc'): ProcReader {
  let bootMs: number | undefined;
  return {
    exists: (pid) => existsSync(`${root}/${pid}`),
    startedMs(pid) {
      try {
        bootMs ??= Number(/^btime (\d+)$/m.exec(readFileSync(`${root}/stat`, 'utf8'))?.[1] ?? NaN) * 1000;
        const stat = readFileSync(`${root}/${pid}/stat`, 'utf8');
        // fields after the command name (which may hold spaces and parentheses): state is
        // field 3, starttime field 22
        const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
        return Number.isFinite(bootMs) && Number.isFinite(start) ? bootMs + (start * 1000) / USER_HZ : undefined;
      } catch {
        return undefined;
      }
    },
    read(pid) {
      const dir = `${root}/${pid}`;
      // the executable before the name: a process that execs between the two reads is
      // then its old executable under its new name, which the parent check of an exec
      // takes for a change (parentAtExec) — read the other way round, it would be the
      // new executable under the old name, a parent it never was
      let exe: string | undefined;
      try {
        exe = readlinkSync(`${dir}/exe`).replace(/ \(deleted\)$/, '');
      } catch {
        /* kernel thread, gone, or not permitted */
      }
      let status: string;
      try {
        status = readFileSync(`${dir}/status`, 'utf8');
      } catch {
        return undefined;
      }
      const ppidM = /^PPid:\s+(\d+)/m.exec(status);
      const uidM = /^Uid:\s+(\d+)/m.exec(status);
      const nameM = /^Name:\s+(.*)$/m.exec(status);
      exe ??= nameM ? nameM[1] : ''; // kernel threads and unreadable exe: comm instead
      let args: string[] = [];
      try {
        const raw = readFileSync(`${dir}/cmdline`, 'utf8');
        args = raw.split('\0');
        if (args.length > 0 && args[args.length - 1] === '') args.pop();
      } catch {
        /* gone or not permitted */
      }
      if (nameM) exe = scriptOf(dir, exe, nameM[1], args) ?? exe;
      let cgroupText: string | undefined;
      let cgroupPath: string | undefined;
      try {
        cgroupText = readFileSync(`${dir}/cgroup`, 'utf8');
        cgroupPath = cgroupPathFromProc(cgroupText);
      } catch {
        /* gone */
      }
      return {
        pid,
        exe,
        args,
        ...(ppidM ? { ppid: Number(ppidM[1]) } : {}),
        ...(uidM ? { uid: Number(uidM[1]) } : {}),
        ...(nameM ? { comm: nameM[1] } : {}),
        ...(cgroupPath !== undefined ? { cgroupPath } : {}),
        ...(cgroupText !== undefined ? { cgroupText } : {}),
      };
    },
  };
}

/**
 * A script run directly (`./run.sh`, its interpreter from the #! line) is one process
 * whose /proc/PID/exe is the interpreter, while its exec named the script: the kernel
 * gives the process the script's name (comm) and puts the script's path after the
 * interpreter in argv. Seen from /proc, such a process is named by its script, as its
 * exec record names it: one identity for one process, whichever was read.
 */
export function scriptOf(dir: string, exe: string, comm: string, args: string[]): string | undefined {
  const exeName = exe.slice(exe.lastIndexOf('/') + 1);
  if (comm === '' || exeName.startsWith(comm)) return undefined; // comm is 15 chars at most
  // the script is the first argument after argv[0] whose file name the comm begins
  for (let i = 1; i < args.length && i < 4; i++) {
    const a = args[i];
    const name = a.slice(a.lastIndexOf('/') + 1);
    if (name === '' || !name.startsWith(comm)) continue;
    if (isAbsolute(a)) return a;
    try {
      const cwd = readlinkSync(`${dir}/cwd`);
      return isAbsolute(cwd) ? resolve(cwd, a) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
