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
// write whose ppid differs (a reuser, or reparented since) is resolved through /proc,
// else as a fork of its parent. A fork inherits its parent's directory: a process that
// never changed its own is resolved through /proc while alive, else through its parent's
// (PostgreSQL's postmaster changes to the data directory; its forks write relative paths,
// and some exit at once) — the parent's directory as of the write, which is the fork's
// unless the parent changed it again after forking (then the path is wrong).
//
// Records are kept with their kernel time and applied as of it: bpftrace drains each
// CPU's buffer in turn, so a process's D record can be read after a write it made later
// on another CPU (PostgreSQL's restart: the new postmaster's chdir and its forks' first
// relative writes come in one burst). The parser resolves a chunk's relative paths once
// the whole chunk is read (parse.ts), each through the directory in effect at its time.
import { resolve } from 'node:path';
import { AT_FDCWD } from './files.ts';

/** processes whose directory is kept (oldest forgotten first) */
const MAX = 4096;
/** changes kept per pid (a process changes directory rarely; a reused pid starts over) */
const DEPTH = 4;

export type ResolveFromProc = (pid: number, dfd: number, path: string) => string | undefined;

/** from time t on, pid (a child of ppid) was in dir; undefined: a new process under the pid, directory unknown */
interface Change {
  t: number;
  ppid: number;
  dir: string | undefined;
}

export class Cwds {
  /** per pid, newest change first */
  private readonly byPid = new Map<number, Change[]>();

  constructor(private readonly fromProc: ResolveFromProc | undefined) {}

  /** D record at kernel time t: pid, a child of ppid, changed its working directory to path (as it passed it to chdir) */
  changed(pid: number, ppid: number, path: string, t: number): void {
    let dir: string | undefined;
    if (path.startsWith('/')) dir = resolve(path);
    else {
      const base = this.at(pid, ppid, t);
      // relative to a directory it had before the agent saw it: the process, if alive, is there now
      dir = base !== undefined ? resolve(base, path) : this.fromProc?.(pid, AT_FDCWD, '.');
    }
    if (dir !== undefined) this.add(pid, { t, ppid, dir });
  }

  /** an exec of pid by ppid at t: the directory survives an exec, not a reuse of the pid by another process */
  exec(pid: number, ppid: number, t: number): void {
    const cur = this.latest(pid, t);
    if (cur !== undefined && cur.ppid !== ppid) this.add(pid, { t, ppid, dir: undefined });
  }

  /**
   * the absolute form of a path relative to pid's working directory (AT_FDCWD) or to its
   * descriptor dfd, at kernel time t; undefined when not known
   */
  absolute(pid: number, ppid: number, dfd: number, path: string, t: number): string | undefined {
    const own = dfd === AT_FDCWD ? this.at(pid, ppid, t) : undefined;
    if (own !== undefined) return resolve(own, path);
    const live = this.fromProc?.(pid, dfd, path);
    if (live !== undefined || dfd !== AT_FDCWD) return live;
    // gone, and it never changed directory: a fork has its parent's (a server that changed
    // to its data directory, then forked the worker that wrote and exited). An entry of the
    // pid under another parent is an earlier process's: forks are in no record, so a fork
    // that reuses the pid of one that changed directory finds that entry (pids wrap at
    // 32,768 on small nodes); it is not this process's directory
    const parent = this.latest(ppid, t)?.dir;
    return parent !== undefined ? resolve(parent, path) : undefined;
  }

  /** pid's directory at t, if that process (a child of ppid) changed it by then */
  private at(pid: number, ppid: number, t: number): string | undefined {
    const c = this.latest(pid, t);
    return c !== undefined && c.ppid === ppid ? c.dir : undefined;
  }

  /** the newest change of pid at or before t */
  private latest(pid: number, t: number): Change | undefined {
    const cs = this.byPid.get(pid);
    if (cs === undefined) return undefined;
    for (const c of cs) if (c.t <= t) return c;
    return undefined;
  }

  private add(pid: number, c: Change): void {
    let cs = this.byPid.get(pid);
    if (cs === undefined) {
      this.byPid.set(pid, (cs = []));
      if (this.byPid.size > MAX) this.byPid.delete(this.byPid.keys().next().value!);
    }
    let i = 0;
    while (i < cs.length && cs[i].t > c.t) i++;
    cs.splice(i, 0, c);
    if (cs.length > DEPTH) cs.length = DEPTH;
  }
}
