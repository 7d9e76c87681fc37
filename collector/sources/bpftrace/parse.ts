// Parser for the output of habitwatch.bt run with `bpftrace -f json`.
//
// Why JSON mode and not plain printf text: every record arrives as one self-delimiting
// JSON line, so bpftrace's own messages (lost events, attached probes, map dumps at
// interval/exit) are typed records instead of free text to pattern-match, printf text
// is escaped (an embedded newline in a path cannot split a record), and the syscall map
// comes as a JSON object. Inside each printf record the fields are tab-separated: the
// printf cannot emit valid nested JSON (bpftrace does not escape %s), while a tab can
// only appear in the last (path) field — every other free-text field uses %r, which
// escapes non-printables as \xNN.
//
// Records (see habitwatch.bt): H argv chunk (hex; A in recordings made before: %r), P exec
// (E in older recordings: no parent's parent; X before that: no parent's comm either), W
// file write, N rename target, O open (write, or read of a sensitive path), D working
// directory changed (cwd.ts), L listen, C connect, T interval mark then the `@scp` syscall
// map (`@sc` in older recordings), R ready. File records are decoded in files.ts, network
// records in net.ts, fields in decode.ts, printf lines split without JSON.parse in
// printf-fields.ts.
import { EventRecord, type EventKind, type ProcessInfo, type RuntimeEvent } from '../../event.ts';
import type { SourceStats } from '../../stats.ts';
import { syscallName } from './syscalls-x86_64.ts';
import { decodeComm, intOf, isInt, isUint, uintOf } from './decode.ts';
import { ARG_CHUNKS, ArgvRecords } from './argv-records.ts';
import { AT_FDCWD, FileRecords, SOURCE, STRLEN, type RecordHost } from './files.ts';
import { parsePatterns, DEFAULT_SENSITIVE_PATHS, type SensitivePattern } from './sensitive.ts';
import { argvLine, execLine, newExecFields, PRINTF, printfFields, type ExecFields } from './printf-fields.ts';
import { Cwds } from './cwd.ts';
import { connectRecord, listenRecord } from './net.ts';

export { SOURCE, STRLEN } from './files.ts';
export { decodeR, decodeArgv } from './decode.ts';
export { printfFields } from './printf-fields.ts';
export { ARG_CHUNK, ARG_CHUNKS } from './argv-records.ts';

export interface ParserDeps {
  node: string;
  stats: SourceStats;
  /** bpftrace nsecs (CLOCK_MONOTONIC) → epoch ms; NaN → now */
  toEpochMs(nsecs: number): number;
  /** cgroup id → path under the unified mount; pid: a process in it (resolves a new cgroup at once) */
  cgroupPath?(id: string, pid: number): string | undefined;
  /** false drops the record (cgroup prefix filter); called with the resolved path */
  accept?(cgroupId: string, path: string | undefined): boolean;
  /** pids whose records are ignored (bpftrace itself) */
  ignorePid?(pid: number): boolean;
  /** a relative path of pid, relative to dfd (AT_FDCWD = cwd) → absolute, if resolvable */
  resolvePath?(pid: number, dfd: number, path: string): string | undefined;
  /** called once per `attached_probes` record (printed before attaching) */
  onAttached?(probes: number): void;
  /** the program's BEGIN ran: every probe is attached */
  onReady?(): void;
  /** the sensitive-path list the program was built with (reads are matched again here) */
  sensitivePaths?: readonly string[];
}

export class BpftraceParser implements RecordHost {
  private lastIntervalNs = 0;
  /** inside chunk(): relative paths to resolve at its end */
  private later: (() => void)[] | undefined;
  lines = 0;
  readonly counts = { exec: 0, file_write: 0, file_open: 0, listen: 0, connect: 0, syscall: 0, lost: 0, filtered: 0, filtered_reads: 0 };
  readonly sensitive: readonly SensitivePattern[];
  readonly stats: SourceStats;
  private readonly files: FileRecords;
  private readonly cwds = new Cwds((pid, dfd, path) => this.d.resolvePath?.(pid, dfd, path));
  private readonly argv: ArgvRecords;
  /** the exec record being decoded (one object, reused) */
  private readonly x = newExecFields();

  constructor(private readonly d: ParserDeps) {
    this.stats = d.stats;
    this.sensitive = parsePatterns(d.sensitivePaths ?? DEFAULT_SENSITIVE_PATHS);
    this.files = new FileRecords(this);
    this.argv = new ArgvRecords(d.stats);
  }

  /**
   * Lines read together (one read of bpftrace's output): their relative paths are
   * resolved once all are read, each as of its kernel time (cwd.ts): a D record read
   * after a later write from another CPU still counts for it.
   */
  chunk(lines: readonly string[], out: RuntimeEvent[]): void {
    const later: (() => void)[] = [];
    this.later = later;
    try {
      for (const l of lines) this.line(l, out);
    } finally {
      this.later = undefined;
    }
    for (const fix of later) fix();
  }

  /** one stdout line; decoded events are appended to out (outside chunk(): relative paths resolved at once) */
  line(line: string, out: RuntimeEvent[]): void {
    this.lines++;
    if (line.length === 0) return;
    if (line.length >= PRINTF.length + 2 && line.startsWith(PRINTF) && line.endsWith('"}')) {
      if (argvLine(line, this.argv)) return;
      if (execLine(line, this.x)) return this.execOf(this.x, out);
      const f = printfFields(line);
      if (f !== undefined) return this.fields(f, out);
    }
    if (line.charCodeAt(0) !== 123 /* { */) {
      // text-mode lost-events message (older versions print it on stdout)
      const m = /^Lost (\d+) events/.exec(line);
      if (m) this.lost(Number(m[1]));
      else if (line.trim() !== '') this.d.stats.bad(SOURCE, 'not_json', line);
      return;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      this.d.stats.bad(SOURCE, 'invalid_json', line);
      return;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      this.d.stats.bad(SOURCE, 'not_an_object', line);
      return;
    }
    const r = rec as { type?: unknown; data?: unknown; count?: unknown };
    switch (r.type) {
      case 'printf':
        if (typeof r.data !== 'string') this.d.stats.bad(SOURCE, 'missing_field', 'printf without data');
        else this.record(r.data, out);
        return;
      case 'map':
        this.map(r.data, out);
        return;
      case 'lost_events': {
        const d = r.data as { events?: unknown } | undefined;
        const n = typeof r.count === 'number' ? r.count : typeof d?.events === 'number' ? d.events : NaN;
        if (Number.isFinite(n) && n >= 0) this.lost(n);
        else this.d.stats.bad(SOURCE, 'bad_value', 'lost_events without a count');
        return;
      }
      case 'attached_probes': {
        const d = r.data as { probes?: unknown } | undefined;
        this.d.onAttached?.(typeof d?.probes === 'number' ? d.probes : 0);
        return;
      }
      default:
        // time/join/value/… records: the shipped program prints none of them
        this.d.stats.bad(SOURCE, 'unexpected_record', line);
    }
  }

  /** emit what is still waiting for a partner record (end of input, shutdown) */
  flush(out: RuntimeEvent[]): void {
    this.files.flush(out);
    this.argv.flush();
  }

  private lost(n: number): void {
    this.counts.lost += n;
    if (n > 0) this.d.stats.dropped(SOURCE, 'lost_events', n);
  }

  private record(data: string, out: RuntimeEvent[]): void {
    const text = data.endsWith('\n') ? data.slice(0, -1) : data;
    this.fields(text.split('\t'), out);
  }

  /** a printf record's tab-separated fields (the trailing newline removed) */
  private fields(f: string[], out: RuntimeEvent[]): void {
    switch (f[0]) {
      case 'H':
        return this.argChunk(f, true);
      case 'A':
        return this.argChunk(f, false);
      case 'P': {
        // the parent's parent and whether the parent is a fork; from the cgroup on, an E record two fields on
        if (!isUint(f[5]) || !isUint(f[6])) return this.d.stats.bad(SOURCE, 'bad_exec_record', f.join('\t'));
        return this.exec(f, out, true, 2, Number(f[5]), f[6] !== '0');
      }
      case 'E':
        return this.exec(f, out, true, 0);
      case 'X':
        return this.exec(f, out, false, 0);
      case 'W':
        return this.files.write(f, out);
      case 'O':
        return this.files.open(f, out);
      case 'N':
        return this.files.renameTarget(f, out);
      case 'D': // D nsecs pid ppid path…: a working directory changed (cwd.ts)
        return isUint(f[1]) && isUint(f[2]) && isInt(f[3]) && f.length >= 5 ? this.cwds.changed(Number(f[2]), Number(f[3]), f.slice(4).join('\t'), Number(f[1])) : this.d.stats.bad(SOURCE, 'bad_value', f.join('\t'));
      case 'L':
        return listenRecord(this, f, out);
      case 'C':
        return connectRecord(this, f, out);
      case 'R':
        this.d.onReady?.();
        return;
      case 'T':
        if (isUint(f[1])) this.lastIntervalNs = Number(f[1]);
        else this.d.stats.bad(SOURCE, 'bad_value', f.join('\t'));
        this.files.expire(out);
        return;
      default:
        this.d.stats.bad(SOURCE, 'unknown_record', f.join('\t'));
    }
  }

  /**
   * a new event of `kind` with its envelope, in the one hidden class every event shares
   * (EventRecord: the enrich steps' and the engine's loads and stores stay monomorphic);
   * undefined when filtered out. The caller sets the kind's payload fields.
   */
  envelope(nsecs: string, cgroupId: string, process: ProcessInfo, kind: EventKind): EventRecord | undefined {
    const pid = process.pid;
    if (this.d.ignorePid?.(pid)) return undefined;
    const path = this.d.cgroupPath?.(cgroupId, pid);
    if (this.d.accept && !this.d.accept(cgroupId, path)) {
      this.counts.filtered++;
      return undefined;
    }
    const cgroup = path !== undefined ? { id: cgroupId, path } : { id: cgroupId };
    return new EventRecord(this.d.toEpochMs(Number(nsecs)), this.d.node, SOURCE, process, cgroup, undefined, undefined, 'complete', kind);
  }

  // H|A tid argStart idx chunk
  private argChunk(f: string[], hex: boolean): void {
    if (f.length !== 5 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3])) {
      this.d.stats.bad(SOURCE, 'bad_argv_record', f.join('\t'));
      return;
    }
    const tid = Number(f[1]);
    const idx = Number(f[3]);
    if (idx >= ARG_CHUNKS) {
      this.d.stats.bad(SOURCE, 'bad_argv_record', `chunk index ${idx}`);
      return;
    }
    this.argv.add(tid, f[2], idx, f[4], hex);
  }

  // P nsecs pid tid ppid pppid pfork cgroup uid argStart argLen pcomm filename… (pppid, pfork read by the caller: s = 2)
  // E nsecs pid tid ppid cgroup uid argStart argLen pcomm filename…
  // X nsecs pid tid ppid cgroup uid argStart argLen filename…
  private exec(f: string[], out: RuntimeEvent[], withParentComm: boolean, s: number, parentPpid = -1, parentForked = false): void {
    const at = (withParentComm ? 10 : 9) + s; // where the file name starts
    const x = this.x;
    x.pid = uintOf(f[2]);
    x.tid = uintOf(f[3]);
    x.ppid = intOf(f[4]);
    x.uid = intOf(f[6 + s]);
    x.argLen = intOf(f[8 + s]);
    if (f.length < at + 1 || !isUint(f[1]) || Number.isNaN(x.pid) || Number.isNaN(x.tid) || Number.isNaN(x.ppid) || !isUint(f[5 + s]) || Number.isNaN(x.uid) || !isUint(f[7 + s]) || Number.isNaN(x.argLen)) {
      this.d.stats.bad(SOURCE, 'bad_exec_record', f.join('\t'));
      return;
    }
    x.nsecs = f[1];
    x.cgroup = f[5 + s];
    x.argStart = f[7 + s];
    x.pppid = parentPpid;
    x.forked = parentForked;
    x.filename = f.length > at + 1 ? f.slice(at).join('\t') : f[at];
    x.pcomm = withParentComm ? decodeComm(f[9 + s]) : '';
    this.execOf(x, out);
  }

  /** an exec record's fields, decoded: from exec() (split fields) or execLine() (a P line in one pass) */
  private execOf(x: ExecFields, out: RuntimeEvent[]): void {
    const { pid, ppid, nsecs, filename } = x;
    this.cwds.exec(pid, ppid, Number(nsecs));
    const args = this.argv.argv(x.tid, x.argStart, x.argLen);
    let partial = this.argv.partial;
    if (filename === '') {
      this.d.stats.bad(SOURCE, 'unreadable_string', 'exec without filename');
      return;
    }
    if (filename.length >= STRLEN - 1) partial = true;
    const process: ProcessInfo = { pid, exe: filename, args, ppid, uid: x.uid };
    // empty: no parent name (a kernel thread's child reads one; an empty one is no check)
    if (x.pcomm !== '') process.parentComm = x.pcomm;
    if (x.pppid >= 0) {
      process.parentPpid = x.pppid;
      process.parentForked = x.forked;
    }
    const ev = this.envelope(nsecs, x.cgroup, process, 'exec');
    if (!ev) return;
    if (partial) ev.enrichment = 'partial';
    if (!filename.startsWith('/')) this.absoluteInto(pid, ppid, AT_FDCWD, filename, nsecs, ev, (abs) => (process.exe = abs));
    this.counts.exec++;
    this.emit(ev.event(), out);
  }

  /**
   * `@scp` map: {"<cgroup>,<nr>": pid} → one syscall event per cgroup and pid, the pid
   * being the process that last made the call in the interval (the kernel keeps one per
   * call, not a count). `@sc` (recordings made before): counts, so one event per cgroup
   * with pid 0. Both are marked aggregated: the source saw sets, not single calls.
   */
  private map(data: unknown, out: RuntimeEvent[]): void {
    if (typeof data !== 'object' || data === null) {
      this.d.stats.bad(SOURCE, 'bad_map', 'map without data');
      return;
    }
    const m = data as Record<string, unknown>;
    const withPid = m['@scp'] !== undefined;
    const sc = withPid ? m['@scp'] : m['@sc'];
    if (sc === undefined) return; // other maps (dedup state printed at exit)
    if (typeof sc !== 'object' || sc === null || Array.isArray(sc)) {
      this.d.stats.bad(SOURCE, 'bad_map', 'syscall map is not an object');
      return;
    }
    // cgroup → pid → names
    const byCgroup = new Map<string, Map<number, Set<string>>>();
    for (const [key, value] of Object.entries(sc as Record<string, unknown>)) {
      const comma = key.indexOf(',');
      const cg = key.slice(0, comma);
      const nr = key.slice(comma + 1);
      if (comma <= 0 || !isUint(cg) || !isUint(nr)) {
        this.d.stats.bad(SOURCE, 'bad_map', `syscall map key ${key.slice(0, 40)}`);
        continue;
      }
      const pid = withPid && typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
      let byPid = byCgroup.get(cg);
      if (!byPid) byCgroup.set(cg, (byPid = new Map()));
      let names = byPid.get(pid);
      if (!names) byPid.set(pid, (names = new Set()));
      names.add(syscallName(Number(nr)));
    }
    // no T mark yet (map printed at exit): NaN means "now" to toEpochMs
    const nsecs = this.lastIntervalNs > 0 ? String(this.lastIntervalNs) : 'NaN';
    for (const [cg, byPid] of byCgroup) {
      for (const [pid, names] of byPid) {
        // the kernel stores the thread group id: an event of our own bpftrace child is ours
        const ev = this.envelope(nsecs, cg, { pid, exe: '', args: [] }, 'syscall');
        if (!ev) continue;
        ev.names = [...names].sort();
        ev.aggregated = true;
        this.counts.syscall++;
        this.emit(ev.event(), out);
      }
    }
  }

  absolute(pid: number, ppid: number, dfd: number, path: string, nsecs: string, env: { enrichment: 'complete' | 'partial' }): string {
    const abs = path.startsWith('/') ? path : this.cwds.absolute(pid, ppid, dfd, path, Number(nsecs));
    if (abs === undefined) env.enrichment = 'partial';
    return abs ?? path;
  }

  absoluteInto(pid: number, ppid: number, dfd: number, path: string, nsecs: string, env: { enrichment: 'complete' | 'partial' }, set: (path: string) => void): void {
    if (path.startsWith('/') || this.later === undefined) return set(this.absolute(pid, ppid, dfd, path, nsecs, env));
    set(path);
    this.later.push(() => set(this.absolute(pid, ppid, dfd, path, nsecs, env)));
  }

  emit(ev: RuntimeEvent, out: RuntimeEvent[]): void {
    out.push(ev);
  }
}
