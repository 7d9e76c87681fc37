// Working directories as the kernel saw processes change them (habitwatch.bt's D record),
// for the relative paths of processes gone before their record is read. /proc/PID/cwd is
// gone with the process; the directory it changed to is known from the record. Without
// it, the same file had two spellings in one baseline: PostgreSQL's short-lived
// single-user backends (initdb) write `pg_stat/pgstat.tmp` relative to the data
// directory they chdir to and were gone by the time it was read — learned relative —
// while the running server's checkpointer, alive, wrote `/tmp/pg/pg_stat/pgstat.tmp`:
// "a path this workload never wrote" at its first restart.
//
// A process is named by its pid and its parent (the record's ppid): an exec of the pid by
// another parent is another process under a reused pid, and forgets the directory; a
// write whose ppid differs (reparented since, or a reuser) is resolved through /proc as
// before. A fork inherits its parent's directory: a process that never changed its own
// is resolved through /proc while alive, else through its parent's (PostgreSQL's
// postmaster changes to the data directory; its forks write relative paths, and some
// exit at once) — the parent's directory as of the write, which is the
// fork's unless the parent changed it again after forking (then the path is wrong).
import { resolve } from 'node:path';
import { AT_FDCWD } from './files.ts';

/** processes whose directory is kept (oldest forgotten first) */
const MAX = 4096;

export type ResolveFromProc = (pid: number, dfd: number, path: string) => string | undefined;

interface Cwd {
  dir: string;
  ppid: number;
}

export class Cwds {
  private readonly byPid = new Map<number, Cwd>();

  constructor(private readonly fromProc: ResolveFromProc | undefined) {}

  /** D record: pid, a child of ppid, changed its working directory to path (as it passed it to chdir) */
  changed(pid: number, ppid: number, path: string): void {
    const cur = this.byPid.get(pid);
    this.byPid.delete(pid);
    let dir: string | undefined;
    if (path.startsWith('/')) dir = resolve(path);
    else if (cur !== undefined && cur.ppid === ppid) dir = resolve(cur.dir, path);
    // relative to a directory it had before the agent saw it: the process, if alive, is there now
    else dir = this.fromProc?.(pid, AT_FDCWD, '.');
    if (dir === undefined) return;
    this.byPid.set(pid, { dir, ppid });
    if (this.byPid.size > MAX) this.byPid.delete(this.byPid.keys().next().value!);
  }

  /** an exec of pid by ppid: the directory survives an exec, not a reuse of the pid by another process */
  exec(pid: number, ppid: number): void {
    const cur = this.byPid.get(pid);
    if (cur !== undefined && cur.ppid !== ppid) this.byPid.delete(pid);
  }

  /** the absolute form of a path relative to pid's working directory (AT_FDCWD) or to its descriptor dfd; undefined when not known */
  absolute(pid: number, ppid: number, dfd: number, path: string): string | undefined {
    const own = dfd === AT_FDCWD ? this.byPid.get(pid) : undefined;
    if (own !== undefined && own.ppid === ppid) return resolve(own.dir, path);
    const live = this.fromProc?.(pid, dfd, path);
    if (live !== undefined || dfd !== AT_FDCWD || own !== undefined) return live;
    // gone, and it never changed directory: a fork has its parent's (a server that changed
    // to its data directory, then forked the worker that wrote and exited)
    const parent = this.byPid.get(ppid);
    return parent !== undefined ? resolve(parent.dir, path) : undefined;
  }
}
