// The procfs poller: diffs /proc between polls into exec, listen and connect events.
//
// Lossy by design. A process that starts and exits between two polls is never seen;
// an exec is only noticed when the process is still there at the next poll. The
// kernel's fork counter (/proc/stat `processes`) tells how many tasks were created
// since the last poll; what we did not see of them is counted as possibly missed —
// an upper bound, because threads count as forks too. File writes are invisible to
// /proc polling altogether: use auditd, bpftrace, Tetragon or Falco for those.
import type { Ancestor, ProcessInfo, Proto, RuntimeEvent } from '../../event.ts';
import { containerFromCgroupPath } from '../../enrich/cgroup.ts';
import type { SourceStats } from '../../stats.ts';
import { listDir, parseStat, readLink, readProc, readText, type ProcInfo, type StatLine } from './proc.ts';
import { parseNetLine, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_SENT, TCP_CLOSE, unmapV4, type NetRow } from './procnet.ts';

export const SOURCE = 'procfs';

export interface ScannerOptions {
  procRoot: string;
  node: string;
  exec: boolean;
  net: boolean;
  /** emit exec/listen/connect for what already exists at the first poll */
  reportExisting: boolean;
  maxAncestors: number;
  stats: SourceStats;
  /** shared counters to add into (e.g. the module-level ones the agent exports) */
  counters?: ScannerCounters;
}

/** counters for the lead's metrics (no pids or addresses as labels) */
export interface ScannerCounters {
  polls: number;
  /** tasks the kernel created between polls (/proc/stat processes delta) */
  forks: number;
  /** new processes this poller saw */
  newProcesses: number;
  /** forks - newProcesses, floored at 0: an upper bound of execs missed */
  missedUpperBound: number;
  fdScans: number;
  /** total time spent polling, seconds (reading /proc/net costs ms per table on busy hosts) */
  pollSeconds: number;
}

export function newCounters(): ScannerCounters {
  return { polls: 0, forks: 0, newProcesses: 0, missedUpperBound: 0, fdScans: 0, pollSeconds: 0 };
}

const TABLES: { file: string; proto: Proto }[] = [
  { file: 'tcp', proto: 'tcp' },
  { file: 'tcp6', proto: 'tcp' },
  { file: 'udp', proto: 'udp' },
  { file: 'udp6', proto: 'udp' },
];

interface Entry extends ProcInfo {
  /** dedup keys of listen/connect already reported for this process */
  reported: Set<string>;
}

interface Candidate {
  kind: 'listen' | 'connect';
  proto: Proto;
  addr: string;
  port: number;
}

export class ProcfsScanner {
  readonly counters: ScannerCounters;
  private procs = new Map<number, Entry>();
  private seenInodes = new Set<number>();
  private lastForks: number | undefined;
  private bootMs: number | undefined;
  private first = true;

  constructor(private readonly o: ScannerOptions) {
    this.counters = o.counters ?? newCounters();
  }

  /** One poll: returns the events found since the previous one. */
  poll(now: number): RuntimeEvent[] {
    const t0 = process.hrtime.bigint();
    try {
      return this.pollOnce(now);
    } finally {
      this.counters.pollSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }

  private pollOnce(now: number): RuntimeEvent[] {
    const out: RuntimeEvent[] = [];
    const report = !this.first || this.o.reportExisting;
    this.counters.polls++;
    const procStat = readText(`${this.o.procRoot}/stat`) ?? '';
    if (this.bootMs === undefined) {
      const b = /^btime (\d+)/m.exec(procStat);
      if (b) this.bootMs = Number(b[1]) * 1000;
    }

    const alive = new Set<number>();
    let fresh = 0;
    for (const name of listDir(this.o.procRoot)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const text = readText(`${this.o.procRoot}/${pid}/stat`);
      const st = text ? parseStat(text) : undefined;
      if (!st || st.kthread) continue;
      alive.add(pid);
      const known = this.procs.get(pid);
      if (known && known.start === st.start) {
        if (known.comm !== st.comm) this.maybeExecInPlace(known, st, now, report, out);
        continue;
      }
      fresh++;
      const info = readProc(this.o.procRoot, pid, st);
      const entry: Entry = { ...info, reported: new Set() };
      this.procs.set(pid, entry);
      if (report && this.o.exec) out.push(this.event(entry, { kind: 'exec' }, this.startMs(st) ?? now));
    }
    for (const pid of this.procs.keys()) if (!alive.has(pid)) this.procs.delete(pid);

    // how many tasks were created that we never saw (upper bound: threads count too)
    const f = /^processes (\d+)/m.exec(procStat);
    if (f) {
      const forks = Number(f[1]);
      if (this.lastForks !== undefined) {
        const delta = Math.max(0, forks - this.lastForks);
        this.counters.forks += delta;
        this.counters.newProcesses += fresh;
        const missed = Math.max(0, delta - fresh);
        this.counters.missedUpperBound += missed;
        if (missed > 0) this.o.stats.dropped(SOURCE, 'exec_missed_upper_bound', missed);
      }
      this.lastForks = forks;
    }

    if (this.o.net) this.pollSockets(now, report, out);
    this.first = false;
    return out;
  }

  /** comm changed: an exec without a new pid, or just a rename (prctl) — compare exe/argv */
  private maybeExecInPlace(known: Entry, st: StatLine, now: number, report: boolean, out: RuntimeEvent[]): void {
    const info = readProc(this.o.procRoot, known.pid, st);
    const changed = info.exe !== known.exe || info.args.join('\0') !== known.args.join('\0');
    const entry: Entry = { ...info, reported: changed ? new Set() : known.reported };
    this.procs.set(known.pid, entry);
    if (changed && report && this.o.exec) out.push(this.event(entry, { kind: 'exec' }, now));
  }

  private startMs(st: StatLine): number | undefined {
    // USER_HZ is 100 on every Linux ABI node runs on
    return this.bootMs === undefined ? undefined : this.bootMs + st.start * 10;
  }

  private pollSockets(now: number, report: boolean, out: RuntimeEvent[]): void {
    // one read of each table per network namespace, through any process inside it
    const byNs = new Map<string, number>();
    for (const e of this.procs.values()) if (!byNs.has(e.netns ?? '?')) byNs.set(e.netns ?? '?', e.pid);
    const want = new Map<number, Candidate[]>();
    const present = new Set<number>();
    for (const pid of byNs.values()) {
      const rows: { row: NetRow; proto: Proto }[] = [];
      for (const t of TABLES) {
        const text = readText(`${this.o.procRoot}/${pid}/net/${t.file}`);
        if (text === undefined) continue;
        for (const line of text.split('\n')) {
          const r = parseNetLine(line);
          if (r.ok === 'skip') continue;
          if (r.ok === false) {
            this.o.stats.bad(SOURCE, `procnet_${r.reason}`, line);
            continue;
          }
          if (r.row.inode !== 0) rows.push({ row: r.row, proto: t.proto });
        }
      }
      // accepted connections share the local port of a listener: they are inbound
      const listening = new Set<string>();
      for (const { row, proto } of rows) if (isListen(row, proto)) listening.add(`${proto}/${row.local.port}`);
      for (const { row, proto } of rows) {
        present.add(row.inode);
        if (this.seenInodes.has(row.inode)) continue;
        let c: Candidate | undefined;
        if (isListen(row, proto)) c = { kind: 'listen', proto, addr: unmapV4(row.local.addr), port: row.local.port };
        else if (
          (row.state === TCP_ESTABLISHED || (proto === 'tcp' && row.state === TCP_SYN_SENT)) &&
          row.remote.port !== 0 &&
          !listening.has(`${proto}/${row.local.port}`)
        )
          c = { kind: 'connect', proto, addr: unmapV4(row.remote.addr), port: row.remote.port };
        if (!c) continue;
        const list = want.get(row.inode) ?? [];
        list.push(c);
        want.set(row.inode, list);
      }
    }
    // forget inodes that are gone so the set stays as small as the tables
    for (const i of this.seenInodes) if (!present.has(i)) this.seenInodes.delete(i);
    if (want.size === 0) return;

    // socket inode → owning pids, by reading every process's fd links (only when needed)
    this.counters.fdScans++;
    const owners = new Map<number, number[]>();
    for (const pid of this.procs.keys()) {
      const dir = `${this.o.procRoot}/${pid}/fd`;
      for (const fd of listDir(dir)) {
        const l = readLink(`${dir}/${fd}`);
        if (!l || !l.startsWith('socket:[')) continue;
        const ino = Number(l.slice(8, -1));
        if (!want.has(ino)) continue;
        const list = owners.get(ino) ?? [];
        if (!list.includes(pid)) list.push(pid);
        owners.set(ino, list);
      }
    }
    for (const [ino, cands] of want) {
      this.seenInodes.add(ino);
      if (!report) continue;
      for (const pid of owners.get(ino) ?? []) {
        const e = this.procs.get(pid);
        if (!e) continue;
        for (const c of cands) {
          const key = `${c.kind}|${c.proto}|${c.addr}|${c.port}`;
          if (e.reported.has(key)) continue;
          e.reported.add(key);
          // the process may have moved cgroups since we first read it
          const cg = readText(`${this.o.procRoot}/${pid}/cgroup`);
          const m = cg ? /^0::(.*)$/m.exec(cg) : null;
          if (m) e.cgroup = m[1];
          out.push(
            this.event(
              e,
              c.kind === 'listen'
                ? { kind: 'listen', proto: c.proto, addr: c.addr, port: c.port }
                : { kind: 'connect', proto: c.proto, dstAddr: c.addr, dstPort: c.port },
              now,
            ),
          );
        }
      }
    }
  }

  private event(
    e: Entry,
    payload:
      | { kind: 'exec' }
      | { kind: 'listen'; proto: Proto; addr: string; port: number }
      | { kind: 'connect'; proto: Proto; dstAddr: string; dstPort: number },
    time: number,
  ): RuntimeEvent {
    const p: ProcessInfo = { pid: e.pid, ppid: e.ppid, exe: e.exe, args: e.args };
    if (e.uid !== undefined) p.uid = e.uid;
    if (e.cwd) p.cwd = e.cwd;
    const anc: Ancestor[] = [];
    let pp = this.procs.get(e.ppid);
    while (pp && anc.length < this.o.maxAncestors) {
      anc.push({ pid: pp.pid, exe: pp.exe, args: pp.args });
      pp = pp.ppid !== pp.pid ? this.procs.get(pp.ppid) : undefined;
    }
    if (anc.length > 0) p.ancestors = anc;
    const ev = { time, node: this.o.node, source: SOURCE, process: p, enrichment: 'partial', ...payload } as RuntimeEvent;
    if (e.cgroup) {
      ev.cgroup = { path: e.cgroup };
      const c = containerFromCgroupPath(e.cgroup);
      if (c) ev.container = { id: c.id, runtime: c.runtime };
    }
    return ev;
  }
}

function isListen(row: NetRow, proto: Proto): boolean {
  if (proto === 'tcp') return row.state === TCP_LISTEN;
  // an unconnected bound UDP socket is the UDP form of a listener
  return row.state === TCP_CLOSE && row.remote.port === 0 && row.local.port !== 0;
}
