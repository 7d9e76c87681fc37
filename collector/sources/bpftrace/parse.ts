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
// Records (see habitwatch.bt): A argv chunk, X exec, W file write, N rename target,
// L listen, C connect, T interval mark followed by the `@sc` syscall map, R ready.
import type { Envelope, FileOp, Proto, RuntimeEvent } from '../../event.ts';
import type { SourceStats } from '../../stats.ts';
import { syscallName } from './syscalls-x86_64.ts';

export const SOURCE = 'bpftrace';
/** BPFTRACE_STRLEN the program runs with; a string this long minus 1 was cut */
export const STRLEN = 180;
export const ARG_CHUNK = 180;
export const ARG_CHUNKS = 8;

const AT_FDCWD = -100;
const O_CREAT = 0x40;

export interface ParserDeps {
  node: string;
  stats: SourceStats;
  /** bpftrace nsecs (CLOCK_MONOTONIC) → epoch ms; NaN → now */
  toEpochMs(nsecs: number): number;
  /** cgroup id → path under the unified mount */
  cgroupPath?(id: string): string | undefined;
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
}

interface PendingArgs {
  argStart: string;
  chunks: string[];
}

interface PendingRename {
  nsecs: string;
  ev: RuntimeEvent & { kind: 'file_write' };
  seenAt: number;
}

/** decodes bpftrace %r output: printable ASCII kept, \xNN escapes → bytes, UTF-8 */
export function decodeR(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  const latin = s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(latin, 'latin1').toString('utf8');
}

/** a NUL-padded comm from buf(comm, 16) */
function decodeComm(s: string): string {
  const d = decodeR(s);
  const z = d.indexOf('\0');
  return z < 0 ? d : d.slice(0, z);
}

/** argv from NUL-separated chunks; `complete` when nothing was cut */
export function decodeArgv(raw: string, complete: boolean): string[] {
  const args = decodeR(raw).split('\0');
  // a complete argv ends with NUL, leaving one empty element; a cut one may end mid-arg
  if (args.length > 0 && args[args.length - 1] === '') args.pop();
  if (!complete && args.length > 0) args[args.length - 1] += '…';
  return args;
}

const isUint = (s: string | undefined): boolean => s !== undefined && s.length > 0 && s.length < 21 && /^\d+$/.test(s);
const isInt = (s: string | undefined): boolean => s !== undefined && s.length > 0 && s.length < 21 && /^-?\d+$/.test(s);

function opOf(kind: string, flags: number): FileOp | undefined {
  switch (kind) {
    case 'open':
      return flags & O_CREAT ? 'create' : 'write';
    case 'creat':
      return 'create';
    case 'rename':
      return 'rename';
    case 'unlink':
      return 'unlink';
    case 'chmod':
      return 'chmod';
    default:
      return undefined;
  }
}

export class BpftraceParser {
  private args = new Map<number, PendingArgs>();
  private renames = new Map<number, PendingRename>();
  private lastIntervalNs = 0;
  private lines = 0;
  readonly counts = { exec: 0, file_write: 0, listen: 0, connect: 0, syscall: 0, lost: 0, filtered: 0 };

  constructor(private readonly d: ParserDeps) {}

  /** one stdout line; decoded events are appended to out */
  line(line: string, out: RuntimeEvent[]): void {
    this.lines++;
    if (line.length === 0) return;
    if (line.charCodeAt(0) !== 123 /* { */) {
      // text-mode lost-events message (older versions print it on stdout)
      const m = /^Lost (\d+) events/.exec(line);
      if (m) this.lost(Number(m[1]));
      else if (line.trim() !== '') this.d.stats.bad(SOURCE, 'not_json', line.slice(0, 120));
      return;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      this.d.stats.bad(SOURCE, 'invalid_json', line.slice(0, 120));
      return;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      this.d.stats.bad(SOURCE, 'not_an_object', line.slice(0, 120));
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
        this.d.stats.bad(SOURCE, 'unexpected_record', line.slice(0, 120));
    }
  }

  /** emit what is still waiting for a partner record (end of input, shutdown) */
  flush(out: RuntimeEvent[]): void {
    for (const p of this.renames.values()) this.emit(p.ev, out);
    this.renames.clear();
    if (this.args.size > 0) this.d.stats.dropped(SOURCE, 'unpaired_argv', this.args.size);
    this.args.clear();
  }

  private lost(n: number): void {
    this.counts.lost += n;
    if (n > 0) this.d.stats.dropped(SOURCE, 'lost_events', n);
  }

  private record(data: string, out: RuntimeEvent[]): void {
    const text = data.endsWith('\n') ? data.slice(0, -1) : data;
    const f = text.split('\t');
    switch (f[0]) {
      case 'A':
        return this.argChunk(f);
      case 'X':
        return this.exec(f, out);
      case 'W':
        return this.fileWrite(f, out);
      case 'N':
        return this.renameTarget(f, out);
      case 'L':
        return this.listen(f, out);
      case 'C':
        return this.connect(f, out);
      case 'R':
        this.d.onReady?.();
        return;
      case 'T':
        if (isUint(f[1])) this.lastIntervalNs = Number(f[1]);
        else this.d.stats.bad(SOURCE, 'bad_value', text.slice(0, 120));
        this.expireRenames(out);
        return;
      default:
        this.d.stats.bad(SOURCE, 'unknown_record', text.slice(0, 120));
    }
  }

  /** common envelope; undefined when filtered out */
  private envelope(nsecs: string, pid: number, cgroupId: string, exe: string, args: string[]): Envelope | undefined {
    if (this.d.ignorePid?.(pid)) return undefined;
    const path = this.d.cgroupPath?.(cgroupId);
    if (this.d.accept && !this.d.accept(cgroupId, path)) {
      this.counts.filtered++;
      return undefined;
    }
    return {
      time: this.d.toEpochMs(Number(nsecs)),
      node: this.d.node,
      source: SOURCE,
      process: { pid, exe, args },
      cgroup: path !== undefined ? { id: cgroupId, path } : { id: cgroupId },
      enrichment: 'complete',
    };
  }

  // A tid argStart idx chunk
  private argChunk(f: string[]): void {
    if (f.length !== 5 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3])) {
      this.d.stats.bad(SOURCE, 'bad_argv_record', f.join('\t').slice(0, 120));
      return;
    }
    const tid = Number(f[1]);
    const idx = Number(f[3]);
    if (idx >= ARG_CHUNKS) {
      this.d.stats.bad(SOURCE, 'bad_argv_record', `chunk index ${idx}`);
      return;
    }
    let p = this.args.get(tid);
    if (!p || p.argStart !== f[2]) {
      if (p) this.d.stats.dropped(SOURCE, 'unpaired_argv', 1);
      p = { argStart: f[2], chunks: [] };
      this.args.set(tid, p);
      if (this.args.size > 8192) {
        // exec records lost wholesale: do not let orphans pile up
        this.d.stats.dropped(SOURCE, 'unpaired_argv', this.args.size);
        this.args.clear();
        this.args.set(tid, p);
      }
    }
    p.chunks[idx] = f[4];
  }

  // X nsecs pid tid ppid cgroup uid argStart argLen filename…
  private exec(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 10 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3]) || !isInt(f[4]) || !isUint(f[5]) || !isInt(f[6]) || !isUint(f[7]) || !isInt(f[8])) {
      this.d.stats.bad(SOURCE, 'bad_exec_record', f.join('\t').slice(0, 120));
      return;
    }
    const tid = Number(f[3]);
    const pending = this.args.get(tid);
    if (pending) this.args.delete(tid);
    const filename = f.length > 10 ? f.slice(9).join('\t') : f[9];
    const argLen = Number(f[8]);
    let partial = false;
    let args: string[] = [];
    if (pending && pending.argStart === f[7]) {
      const want = Math.min(Math.ceil(Math.max(argLen, 0) / ARG_CHUNK), ARG_CHUNKS);
      let raw = '';
      let complete = argLen <= ARG_CHUNK * ARG_CHUNKS;
      for (let i = 0; i < want; i++) {
        if (pending.chunks[i] === undefined) {
          complete = false;
          break;
        }
        raw += pending.chunks[i];
      }
      args = decodeArgv(raw, complete);
      if (!complete) partial = true;
    } else {
      if (pending) this.d.stats.dropped(SOURCE, 'unpaired_argv', 1);
      if (argLen > 0) partial = true; // argv records lost or unreadable
    }
    const pid = Number(f[2]);
    if (filename === '') {
      this.d.stats.bad(SOURCE, 'unreadable_string', 'exec without filename');
      return;
    }
    let exe = filename;
    if (!exe.startsWith('/')) {
      const abs = this.d.resolvePath?.(pid, AT_FDCWD, exe);
      if (abs) exe = abs;
      else partial = true;
    }
    if (filename.length >= STRLEN - 1) partial = true;
    const env = this.envelope(f[1], pid, f[5], exe, args);
    if (!env) return;
    env.process = { ...env.process, ppid: Number(f[4]), uid: Number(f[6]) };
    if (partial) env.enrichment = 'partial';
    const ev: RuntimeEvent = { ...env, kind: 'exec' };
    this.counts.exec++;
    this.emit(ev, out);
  }

  // W nsecs pid tid ppid cgroup uid op flags dfd comm path…
  private fileWrite(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 12 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3]) || !isInt(f[4]) || !isUint(f[5]) || !isInt(f[6]) || !isInt(f[8]) || !isInt(f[9])) {
      this.d.stats.bad(SOURCE, 'bad_file_record', f.join('\t').slice(0, 120));
      return;
    }
    const op = opOf(f[7], Number(f[8]));
    if (!op) {
      this.d.stats.bad(SOURCE, 'bad_value', `file op ${f[7].slice(0, 20)}`);
      return;
    }
    const raw = f.length > 12 ? f.slice(11).join('\t') : f[11];
    const tid = Number(f[3]);
    if (raw === '') {
      // user memory not faulted in yet: the kernel still did the call, we cannot say on what
      this.d.stats.bad(SOURCE, 'unreadable_string', `${op} without path`);
      if (op === 'rename') this.renames.delete(tid);
      return;
    }
    const pid = Number(f[2]);
    const env = this.envelope(f[1], pid, f[5], decodeComm(f[10]), []);
    if (!env) {
      if (op === 'rename') this.renames.delete(tid);
      return;
    }
    env.process = { ...env.process, ppid: Number(f[4]), uid: Number(f[6]) };
    const path = this.absolute(pid, Number(f[9]), raw, env);
    const ev: RuntimeEvent & { kind: 'file_write' } = { ...env, kind: 'file_write', path, op };
    if (raw.length >= STRLEN - 1) ev.enrichment = 'partial';
    this.counts.file_write++;
    if (op === 'rename') {
      // wait for the N record with the target, printed right after this one
      const prev = this.renames.get(tid);
      if (prev) this.emit(prev.ev, out);
      this.renames.set(tid, { nsecs: f[1], ev, seenAt: this.lines });
      return;
    }
    this.emit(ev, out);
  }

  // N tid nsecs newpath…
  private renameTarget(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 4 || !isUint(f[1]) || !isUint(f[2])) {
      this.d.stats.bad(SOURCE, 'bad_file_record', f.join('\t').slice(0, 120));
      return;
    }
    const tid = Number(f[1]);
    const p = this.renames.get(tid);
    if (!p || p.nsecs !== f[2]) return; // its W record was filtered out or unreadable
    this.renames.delete(tid);
    const raw = f.length > 4 ? f.slice(3).join('\t') : f[3];
    if (raw !== '') p.ev.newPath = this.absolute(p.ev.process.pid, AT_FDCWD, raw, p.ev);
    else p.ev.enrichment = 'partial';
    this.emit(p.ev, out);
  }

  /** renames whose target record never came (lost) go out without it */
  private expireRenames(out: RuntimeEvent[]): void {
    for (const [tid, p] of this.renames) {
      if (this.lines - p.seenAt > 1000) {
        p.ev.enrichment = 'partial';
        this.emit(p.ev, out);
        this.renames.delete(tid);
      }
    }
  }

  // L nsecs pid tid cgroup uid family comm addr port
  private listen(f: string[], out: RuntimeEvent[]): void {
    if (f.length !== 10 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[4]) || !isInt(f[5]) || !isUint(f[9]) || Number(f[9]) > 65535 || (f[6] !== '2' && f[6] !== '10') || f[8] === '') {
      this.d.stats.bad(SOURCE, 'bad_net_record', f.join('\t').slice(0, 120));
      return;
    }
    const env = this.envelope(f[1], Number(f[2]), f[4], decodeComm(f[7]), []);
    if (!env) return;
    env.process = { ...env.process, uid: Number(f[5]) };
    this.counts.listen++;
    this.emit({ ...env, kind: 'listen', proto: 'tcp', addr: f[8], port: Number(f[9]) }, out);
  }

  // C nsecs pid tid cgroup uid proto family comm addr port
  private connect(f: string[], out: RuntimeEvent[]): void {
    if (f.length !== 11 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[4]) || !isInt(f[5]) || (f[6] !== 'tcp' && f[6] !== 'udp') || (f[7] !== '2' && f[7] !== '10') || f[9] === '' || !isUint(f[10]) || Number(f[10]) > 65535) {
      this.d.stats.bad(SOURCE, 'bad_net_record', f.join('\t').slice(0, 120));
      return;
    }
    const env = this.envelope(f[1], Number(f[2]), f[4], decodeComm(f[8]), []);
    if (!env) return;
    env.process = { ...env.process, uid: Number(f[5]) };
    this.counts.connect++;
    this.emit({ ...env, kind: 'connect', proto: f[6] as Proto, dstAddr: f[9], dstPort: Number(f[10]) }, out);
  }

  /** `@sc` map: {"<cgroup>,<nr>": count} → one syscall event per cgroup */
  private map(data: unknown, out: RuntimeEvent[]): void {
    if (typeof data !== 'object' || data === null) {
      this.d.stats.bad(SOURCE, 'bad_map', 'map without data');
      return;
    }
    const sc = (data as Record<string, unknown>)['@sc'];
    if (sc === undefined) return; // other maps (dedup state printed at exit)
    if (typeof sc !== 'object' || sc === null || Array.isArray(sc)) {
      this.d.stats.bad(SOURCE, 'bad_map', '@sc is not an object');
      return;
    }
    const byCgroup = new Map<string, Set<string>>();
    for (const key of Object.keys(sc)) {
      const comma = key.indexOf(',');
      const cg = key.slice(0, comma);
      const nr = key.slice(comma + 1);
      if (comma <= 0 || !isUint(cg) || !isUint(nr)) {
        this.d.stats.bad(SOURCE, 'bad_map', `@sc key ${key.slice(0, 40)}`);
        continue;
      }
      let s = byCgroup.get(cg);
      if (!s) byCgroup.set(cg, (s = new Set()));
      s.add(syscallName(Number(nr)));
    }
    // no T mark yet (map printed at exit): NaN means "now" to toEpochMs
    const nsecs = this.lastIntervalNs > 0 ? String(this.lastIntervalNs) : 'NaN';
    for (const [cg, names] of byCgroup) {
      const env = this.envelope(nsecs, 0, cg, '', []);
      if (!env) continue;
      this.counts.syscall++;
      this.emit({ ...env, kind: 'syscall', names: [...names].sort() }, out);
    }
  }

  private absolute(pid: number, dfd: number, path: string, env: { enrichment: 'complete' | 'partial' }): string {
    if (path.startsWith('/')) return path;
    const abs = this.d.resolvePath?.(pid, dfd, path);
    if (abs) return abs;
    env.enrichment = 'partial';
    return path;
  }

  private emit(ev: RuntimeEvent, out: RuntimeEvent[]): void {
    out.push(ev);
  }
}
