// Process cache: pid → {exe, args, ppid, cgroup path}, filled from exec events (which
// carry everything, so short-lived processes are known even after /proc is gone) and
// from /proc/PID on a miss. Bounded, so it cannot grow with the pid space: an exec nothing
// asks about leaves after `freshMax` newer execs, the rest after `max` (proc-table.ts).
// Gives the ancestry chain (exe lineage) alerts show.
import type { Ancestor, RuntimeEvent } from '../event.ts';
import { keptArgv } from '../redact-event.ts';
import { BinaryPaths } from './binpath.ts';
import { ProcTable } from './proc-table.ts';
import { procfsReader, type ProcEntry, type ProcReader } from './procfs-reader.ts';

export { procfsReader, scriptOf, type ProcEntry, type ProcReader } from './procfs-reader.ts';

export interface ProcessCacheOptions {
  /** entries something asked for (a child's exec, a later event, an ancestry) */
  max?: number;
  /** entries of the newest execs nothing has asked for yet (proc-table.ts) */
  freshMax?: number;
  /** a pid not found in /proc is not looked up again for this long (ms) */
  missTtlMs?: number;
  /** a cached pid is checked for reuse at most this often (ms) */
  reuseCheckMs?: number;
  /**
   * every this much event time, entries of processes gone from /proc for longer than this
   * are dropped (their pid will be someone else's); 0: never (ms)
   */
  goneAfterMs?: number;
  now?: () => number;
  reader?: ProcReader;
  /** ancestry depth limit */
  maxDepth?: number;
  /**
   * canonical spelling of executables recorded from exec events; default: resolved
   * through the real /proc, unless a reader stands in for /proc (tests), then none
   */
  binaries?: BinaryPaths;
}

/** no ancestry (shared: never changed) */
const NONE: Ancestor[] = [];

/** how far apart an entry's time and a process start must be to tell a reused pid (btime has whole seconds) */
const REUSE_SLACK_MS = 2000;

export class ProcessCache {
  private readonly entries: ProcTable<ProcEntry>;
  // pids already gone: short-lived processes produce several events each, and a failed
  // /proc read (an exception) costs far more than parsing the event
  private misses = new Map<number, number>();
  // pid → when it was last checked for reuse (event time)
  private checked = new Map<number, number>();
  private readonly missTtlMs: number;
  private readonly reuseCheckMs: number;
  private readonly goneAfterMs: number;
  private lastSweep: number | undefined;
  private readonly now: () => number;
  private readonly max: number;
  private readonly reader: ProcReader;
  private readonly maxDepth: number;
  readonly binaries: BinaryPaths | undefined;
  procReads = 0;
  /** set by parentAtExec: its ancestry is not the chain of the process under the ppid */
  private corrected = false;

  constructor(opts: ProcessCacheOptions = {}) {
    this.max = opts.max ?? 16384;
    this.entries = new ProcTable(this.max, opts.freshMax ?? 512);
    this.reader = opts.reader ?? procfsReader();
    this.maxDepth = opts.maxDepth ?? 8;
    this.missTtlMs = opts.missTtlMs ?? 2000;
    this.reuseCheckMs = opts.reuseCheckMs ?? 1000;
    this.goneAfterMs = opts.goneAfterMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.binaries = opts.binaries ?? (opts.reader ? undefined : new BinaryPaths());
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * record an exec event's process (with the cgroup the event was attributed to); its
   * executable is first given its canonical spelling (binpath.ts), on the event too.
   * Returns its ancestry as of the exec (parentAtExec), kept with it when corrected.
   */
  recordExecEvent(ev: RuntimeEvent): Ancestor[] {
    const p = ev.process;
    const parents = p.ppid !== undefined && p.ppid > 0 ? this.parentAtExec(p.pid, p.ppid, p.parentComm, ev.time, p.parentPpid, p.parentForked) : NONE;
    const corrected = this.corrected;
    // named by the file it ran, before the canonical spelling resolves links (/bin/sh → dash)
    const comm = commOfFile(p.exe);
    // always the remembered string, even when equal: a source's exe is often a slice of
    // the record's line, and the cache entry kept below would keep that whole line alive
    // for as long as the entry lives (~300 bytes per exec of bpftrace's output)
    if (this.binaries) p.exe = this.binaries.canonical(p.exe, p.pid, ev.cgroup?.path, p.ppid !== undefined ? [p.ppid] : []);
    this.record(p.pid, p.exe, p.args, p.ppid, p.uid, ev.cgroup?.path, ev.time, comm, corrected ? parents : undefined);
    return parents;
  }

  /** an exec replaces whatever was known for the pid (pid reuse, or a new image) */
  recordExec(p: { pid: number; ppid?: number; exe: string; args: string[]; uid?: number; cgroupPath?: string; time?: number; comm?: string }): void {
    this.record(p.pid, p.exe, p.args, p.ppid, p.uid, p.cgroupPath, p.time, p.comm ?? commOfFile(p.exe), undefined);
  }

  /** one entry object per exec (every exec, so no intermediate objects), fields set as known */
  private record(
    pid: number,
    exe: string,
    args: string[],
    ppid: number | undefined,
    uid: number | undefined,
    cgroupPath: string | undefined,
    time: number | undefined,
    comm: string,
    parents: Ancestor[] | undefined,
  ): void {
    const prev = this.entries.peek(pid);
    this.misses.delete(pid);
    const e: ProcEntry = { pid, exe, args, from: 'exec', comm };
    keptArgv(args); // the argv of this process's events and its children's ancestry, from now on
    if (time !== undefined) e.seen = time;
    if (ppid !== undefined) e.ppid = ppid;
    else if (prev?.ppid !== undefined) e.ppid = prev.ppid;
    if (uid !== undefined) e.uid = uid;
    if (cgroupPath !== undefined) e.cgroupPath = cgroupPath;
    else if (prev?.cgroupPath) e.cgroupPath = prev.cgroupPath;
    if (prev?.cgroupText !== undefined) e.cgroupText = prev.cgroupText;
    if (parents !== undefined) e.parents = parents;
    this.entries.recordFresh(pid, e);
  }

  /** cached entry, else read from /proc (and cached); undefined when the process is gone */
  get(pid: number): ProcEntry | undefined {
    const hit = this.entries.get(pid);
    // no recency refresh on hits: a delete+set per ancestor per event costs more than
    // the rare re-read of a long-lived ancestor evicted by churn
    if (hit) return hit;
    if (pid <= 0) return undefined;
    const missed = this.misses.get(pid);
    if (missed !== undefined) {
      if (this.now() - missed < this.missTtlMs) return undefined;
      this.misses.delete(pid);
    }
    this.procReads++;
    const r = this.reader.read(pid);
    if (!r) {
      if (this.misses.size >= this.max) this.misses.clear();
      this.misses.set(pid, this.now());
      return undefined;
    }
    const e: ProcEntry = { ...r, from: 'procfs', seen: this.now() };
    keptArgv(e.args);
    this.entries.keep(pid, e);
    return e;
  }

  /**
   * The entry of pid at event time `at` (epoch ms), as get(), but not one of an earlier
   * process whose pid was reused: a fork that does not exec (a subshell, a pre-fork
   * worker) never reaches the cache, so once the pid space wraps its events and its
   * children's would be attributed to whatever last exec'd under that pid — on a busy
   * node, a worker's `$(… | sha1sum)` "executed by tail". An entry older than the
   * process now holding the pid is read again from /proc. A pid gone from /proc keeps
   * its entry (a short-lived parent is still named by its exec). One check per pid per
   * reuseCheckMs. A process read from /proc that started after `at` is not the one then
   * holding the pid (startedBy).
   */
  current(pid: number, at: number): ProcEntry | undefined {
    this.sweep(at);
    const hit = this.entries.get(pid);
    if (hit === undefined) return this.startedBy(pid, at, this.get(pid));
    if (hit.seen === undefined || this.reader.startedMs === undefined) return hit;
    const last = this.checked.get(pid);
    if (last !== undefined && at - last < this.reuseCheckMs && at >= last) return hit;
    if (this.checked.size >= this.max) this.checked.clear();
    this.checked.set(pid, at);
    const started = this.reader.startedMs(pid);
    // start times are known to a second (btime): a process that started clearly after
    // the entry was right is another one
    if (started === undefined || started <= hit.seen + REUSE_SLACK_MS) return hit;
    this.entries.delete(pid);
    return this.get(pid);
  }

  /**
   * A process just read from /proc that started clearly after `at` is not the one that
   * held the pid then (its holder is gone, the pid reused since): undefined, as unknown.
   */
  private startedBy(pid: number, at: number, read: ProcEntry | undefined): ProcEntry | undefined {
    if (read === undefined || this.reader.startedMs === undefined) return read;
    const started = this.reader.startedMs(pid);
    return started !== undefined && started > at + REUSE_SLACK_MS ? undefined : read;
  }

  /**
   * Entries whose process is gone are kept a while (a short-lived parent is named by its
   * exec for its children's events), then dropped: kept for good, a pid reused by a fork
   * that never execs — checked by current() only while that process lives — would name
   * its children's parent after the long-dead earlier holder. One pass per goneAfterMs of
   * event time over entries seen before the previous pass.
   */
  private sweep(at: number): void {
    if (this.goneAfterMs <= 0 || this.reader.startedMs === undefined) return;
    if (this.lastSweep === undefined || at < this.lastSweep) {
      this.lastSweep = at;
      return;
    }
    if (at - this.lastSweep < this.goneAfterMs) return;
    const before = at - this.goneAfterMs;
    this.lastSweep = at;
    const r = this.reader;
    const exists = r.exists !== undefined ? (pid: number) => r.exists!(pid) : (pid: number) => r.startedMs!(pid) !== undefined;
    for (const [pid, e] of this.entries.entries()) {
      if (e.seen !== undefined && e.seen < before && !exists(pid)) this.entries.delete(pid);
    }
  }

  /**
   * The ancestry of a process at its exec, its parent checked against the name the kernel
   * gave it then (`comm`, read by the source in the kernel at the exec; undefined: no
   * check). The process found under ppid may not be that parent any more: a fork that
   * never exec'd is not in the cache, and when its /proc is read after it has exec'd,
   * it names what it became — in `sh -c 'gzip -c f > out-$(date +%s%N).gz'` the forked
   * child runs date for the redirection, then execs gzip: "date executed by gzip". A
   * parent whose name is not the one it had is, in order: the same process under a new
   * name (prctl PR_SET_NAME: /proc, read again, has the name the exec saw), else a fork
   * of ITS parent — a fork inherits its parent's executable, so a grandparent of that
   * name is what the parent was — else unknown. Never a process it was not: an unknown
   * parent gives an empty ancestry (no lineage to judge), a wrong one a false lineage.
   * With the parent's own parent at the exec (`pppid`; undefined: not known) and whether
   * the parent was then a fork that had not exec'd (`forked`): such a parent is in no exec
   * record (an entry under its pid is an earlier holder's) and is its forker's image, so
   * it is a fork of pppid when that has its name, else unknown — adopted by a reaper (its
   * forker exited), its forker is unknown (forkOf); /proc is not read for it. An exec'd
   * parent whose parent now differs from pppid was adopted since, or is an earlier holder
   * of the pid (adopted()); one gone is unknown. Sets `corrected` when the ancestry is not the chain of the
   * process found under ppid (recordExecEvent keeps it with the exec). No allocation on
   * the usual path.
   */
  private parentAtExec(pid: number, ppid: number, comm: string | undefined, at: number, pppid?: number, forked?: boolean): Ancestor[] {
    this.corrected = false;
    if (ppid === pid) return NONE;
    if (forked === true && pppid !== undefined) {
      this.corrected = true;
      return this.forkOf(ppid, pppid, comm, at, new Set([pid]));
    }
    const reads = this.procReads;
    let parent = this.current(ppid, at);
    if (parent && pppid !== undefined && pppid > 0) {
      if (parent.ppid !== pppid) parent = this.adopted(parent, ppid, pppid, comm);
      // the kernel's word: a later adoption will not move it (adopted)
      else if (parent.from === 'procfs' && (comm === undefined || parent.comm === comm)) parent.attested = true;
    }
    if (!parent) {
      // gone, or its pid already another process's: unknown, kept so (a later look-up of
      // the ppid would name whatever holds it then)
      this.corrected = true;
      return NONE;
    }
    if (comm === undefined || parent.comm === undefined || parent.comm === comm) return parent.chain ?? this.chainOf(parent, new Set([pid]));
    const visiting = new Set([pid]);
    // renamed, or an entry older than the name: /proc again, unless it was just read
    const fresh = this.procReads === reads ? this.readAgain(ppid) : undefined;
    if (fresh?.comm === comm) {
      if (parent.from === 'exec') {
        // its exec named its image; the name is what changed
        parent.comm = comm;
        return this.chainOf(parent, visiting);
      }
      const e: ProcEntry = { ...fresh, from: 'procfs', seen: this.now() };
      this.entries.keep(ppid, e);
      return this.chainOf(e, visiting);
    }
    this.corrected = true;
    // (a parent the kernel says had exec'd is no fork: unknown)
    return forked === false ? NONE : this.forkOf(ppid, pppid ?? (fresh ?? parent).ppid, comm, at, visiting);
  }

  /**
   * The ancestry of an exec whose parent (ppid) is a fork of gp (or taken for one): a
   * fork has its forker's executable and name, so gp of the parent's name (`comm`) is
   * what the parent was. Names that differ: gp renamed since its exec (prctl: /proc has
   * the name), or the fork renamed since its fork (a pre-fork server's worker: /proc shows
   * it with the name and gp's executable). Else unknown (NONE): a reaper that adopted the
   * fork is not its forker.
   */
  private forkOf(ppid: number, gp: number | undefined, comm: string | undefined, at: number, visiting: Set<number>): Ancestor[] {
    const g = comm !== undefined && gp !== undefined && gp > 0 && gp !== ppid && !visiting.has(gp) ? this.current(gp, at) : undefined;
    if (g === undefined) return NONE;
    let self: Ancestor | undefined;
    if (g.comm !== comm) {
      if (g.from === 'exec' && this.readAgain(g.pid)?.comm === comm) g.comm = comm;
      else {
        const p = this.readAgain(ppid);
        if (p === undefined || p.comm !== comm || p.exe !== g.exe) return NONE;
        self = { pid: ppid, exe: p.exe, args: p.args };
      }
    }
    visiting.add(ppid);
    const up = this.chainOf(g, visiting);
    self ??= { pid: ppid, exe: g.exe, args: g.args };
    return [self, ...(up.length >= this.maxDepth ? up.slice(0, this.maxDepth - 1) : up)];
  }

  /**
   * The process found under ppid has another parent (`e.ppid`) than the kernel gave the
   * parent at the exec (`pppid`). Read from /proc, it was adopted since (its parent
   * exited: /proc names the reaper): its lineage is through pppid, which is kept (a later
   * child's exec, after the adoption, names the reaper). Known from its exec (or a child's
   * exec), that record says who started it: it holds while the process lives (adopted
   * since, current() checked it is the same); a process gone may have been an earlier
   * holder of the pid (a fork never execs: no record names it): undefined, unknown.
   */
  private adopted(e: ProcEntry, ppid: number, pppid: number, comm: string | undefined): ProcEntry | undefined {
    if (e.from === 'exec' || e.attested === true) return this.alive(ppid) === false ? undefined : e;
    if (comm !== undefined && e.comm !== undefined && e.comm !== comm) return e; // another process: parentAtExec's name check
    const fixed: ProcEntry = { ...e, ppid: pppid, attested: true };
    // its chain was built through the adopter
    delete fixed.chain;
    delete fixed.asAncestor;
    this.entries.keep(ppid, fixed);
    return fixed;
  }

  /** whether a process holds pid now; undefined when the reader cannot tell */
  private alive(pid: number): boolean | undefined {
    const r = this.reader;
    if (r.exists !== undefined) return r.exists(pid);
    return r.startedMs !== undefined ? r.startedMs(pid) !== undefined : undefined;
  }

  private readAgain(pid: number): Omit<ProcEntry, 'from'> | undefined {
    this.procReads++;
    return this.reader.read(pid);
  }

  /** only what is cached, never touching /proc (nor marking it asked for) */
  peek(pid: number): ProcEntry | undefined {
    return this.entries.peek(pid);
  }

  /**
   * Nearest parent first, following ppid; stops at pid 1, a loop, or maxDepth. Each
   * entry keeps its own chain, so an exec storm under one parent shares it instead of
   * rebuilding (and allocating) the whole lineage per event. A chain may lag behind a
   * later exec of an ancestor; lineage is about who started whom, which exec keeps.
   */
  ancestors(pid: number, ppid?: number): Ancestor[] {
    // its own entry is not asked for (an exec without ancestry comes here next); its parent is
    const own = this.entries.peek(pid);
    const parentPid = ppid ?? (own ?? this.get(pid))?.ppid;
    if (own?.parents !== undefined && own.ppid === parentPid) return own.parents;
    if (parentPid === undefined || parentPid <= 0 || parentPid === pid) return [];
    const parent = this.get(parentPid);
    if (!parent) return []; // exited before we saw it: the chain ends here
    return parent.chain ?? this.chainOf(parent, new Set([pid]));
  }

  /** [e, e's parent, …] as ancestors, at most maxDepth long */
  private chainOf(e: ProcEntry, visiting: Set<number>): Ancestor[] {
    if (e.chain) return e.chain;
    const self = (e.asAncestor ??= { pid: e.pid, exe: e.exe, args: e.args });
    let chain: Ancestor[] = [self];
    let cut = false; // cut short by a ppid loop: not kept, rebuilt next time
    const pp = e.ppid;
    if (e.parents !== undefined) chain = [self, ...e.parents.slice(0, this.maxDepth - 1)];
    else if (e.pid !== 1 && pp !== undefined && pp > 0) {
      if (visiting.has(pp) || pp === e.pid) cut = true;
      else {
        const parent = this.get(pp);
        if (parent) {
          visiting.add(e.pid);
          const up = this.chainOf(parent, visiting);
          visiting.delete(e.pid);
          chain = [self, ...(up.length >= this.maxDepth ? up.slice(0, this.maxDepth - 1) : up)];
          if (!parent.chain) cut = true;
        }
      }
    }
    if (!cut) e.chain = chain;
    return chain;
  }
}

/** the name the kernel gives a process that exec'd `file`: its last component, 15 bytes at most */
export function commOfFile(file: string): string {
  const name = file.slice(file.lastIndexOf('/') + 1);
  if (name.length <= 5) return name; // ≤ 15 bytes whatever the characters
  const b = Buffer.from(name, 'utf8');
  return b.length <= 15 ? name : b.subarray(0, 15).toString('utf8');
}
