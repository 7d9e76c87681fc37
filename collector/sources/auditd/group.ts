// Reassembles the records of one audit event (same `msg=audit(TIME:SERIAL)`, same
// node) into an AuditEvent. Records of different events interleave and auditd 3.x
// does not write EOE to its log, so an event is closed by, in order of preference:
// EOE; its PROCTITLE once the SYSCALL is in (the kernel writes PROCTITLE last);
// a later record more than `serialWindow` serials ahead (deterministic, so replay
// does not depend on timing); wall-clock age in live mode (flushStale);
// `maxInFlight`; end of input. Record timestamps are not used for closing: test
// logs and clock steps make them unreliable, serials are dense and monotonic.
import { FieldScanner, RecType, newHeader, parseHeader, type Header } from './parse.ts';

export interface AuditSyscall {
  arch: string;
  nr: number;
  success: boolean;
  exit: number;
  /** raw hex arguments a0..a3 */
  a: [string, string, string, string];
  items: number;
  pid: number;
  ppid: number;
  uid: number;
  comm?: string;
  exe?: string;
  key?: string;
}

export interface AuditPath {
  item: number;
  name?: string;
  /** NORMAL, PARENT, CREATE, DELETE, UNKNOWN (older kernels call the field objtype) */
  nametype: string;
}

export interface AuditEvent {
  node?: string;
  stamp: string;
  timeMs: number;
  serial: number;
  syscall?: AuditSyscall;
  argc?: number;
  /** decoded argv (EXECVE), split arguments reassembled */
  args?: string[];
  cwd?: string;
  paths: AuditPath[];
  /** raw hex struct sockaddr */
  saddr?: string;
  /** decoded proctitle: argv joined by NUL */
  proctitle?: string;
  /** EOE seen */
  complete: boolean;
  records: number;
  /** wall-clock ms when the first record arrived (live time-outs) */
  firstSeen: number;
  /** cgroup v2 path, when the live reader looked it up while the process was alive */
  cgroupPath?: string;
  /** its SYSCALL record was malformed (already counted as bad) */
  invalid?: boolean;
  /** split EXECVE args: index → chunks (raw, hex unless quoted) */
  chunks?: Map<number, { parts: string[]; quoted: boolean }>;
  /** the reader's tag (Grouper.tag) when its first record arrived: which input chunk holds it */
  tag: number;
}

export interface GrouperOptions {
  timeoutMs: number;
  serialWindow: number;
  maxInFlight: number;
}

export interface GrouperSink {
  event(ev: AuditEvent): void;
  bad(reason: string, detail: string): void;
  /** serials never seen: lost records (kernel backlog, auditd queue) */
  gap(n: number): void;
  /** a SYSCALL record arrived (live mode: look up /proc/PID/cgroup now) */
  syscall?(ev: AuditEvent): void;
}

export const DEFAULT_GROUPER: GrouperOptions = { timeoutMs: 2000, serialWindow: 64, maxInFlight: 2048 };

const HALF = 0x80000000;
/** serial distance a - b on the u32 ring (rollover 4294967295 → 0) */
function serialDiff(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d >= HALF ? d - 0x100000000 : d;
}

export class Grouper {
  private readonly inflight = new Map<string, AuditEvent>();
  /**
   * Set by the reader before each chunk of lines (live mode): events remember the tag of
   * the chunk of their first record, so the reader knows from which chunk on a restart
   * must re-read to rebuild the events still open (oldestTag).
   */
  tag = 0;
  private readonly h: Header = newHeader();
  private readonly f = new FieldScanner();
  /** highest kernel serial seen per node ('' = no node) */
  private readonly maxSerial = new Map<string, number>();

  constructor(
    private readonly sink: GrouperSink,
    private readonly opts: GrouperOptions = DEFAULT_GROUPER,
  ) {}

  get inFlight(): number {
    return this.inflight.size;
  }

  /** the tag of the oldest event still open (insertion order is arrival order), if any */
  oldestTag(): number | undefined {
    for (const ev of this.inflight.values()) return ev.tag;
    return undefined;
  }

  /** feed one line; `now` is the wall clock used for live time-outs */
  push(line: string, now = 0): void {
    if (line.length === 0) return;
    const h = this.h;
    const err = parseHeader(line, h);
    if (err !== undefined) {
      if (line.trim() !== '') this.sink.bad(err, line);
      return;
    }
    if (h.type === RecType.DAEMON) return;
    const before = this.maxSerial.get(h.node ?? '');
    this.trackSerial(h);
    if (h.type !== RecType.OTHER) this.record(line, h, now);
    // the window only moves when the serial does: once per event, not per record
    if (this.maxSerial.get(h.node ?? '') !== before) this.flushBehind();
  }

  private trackSerial(h: Header): void {
    const nodeKey = h.node ?? '';
    const prev = this.maxSerial.get(nodeKey);
    if (prev === undefined) {
      this.maxSerial.set(nodeKey, h.serial);
      return;
    }
    const d = serialDiff(h.serial, prev);
    if (d > 0) {
      if (d > 1) this.sink.gap(d - 1);
      this.maxSerial.set(nodeKey, h.serial);
    } else if (d < -10 * this.opts.serialWindow - 1000) {
      // far behind: a reboot restarted the serials
      this.maxSerial.set(nodeKey, h.serial);
    }
  }

  private record(line: string, h: Header, now: number): void {
    const key = h.node === undefined ? h.stamp : h.node + '\0' + h.stamp;
    let ev = this.inflight.get(key);
    if (h.type === RecType.EOE) {
      if (ev) {
        ev.complete = true;
        this.close(key, ev);
      }
      return;
    }
    if (!ev) {
      ev = { stamp: h.stamp, timeMs: h.timeMs, serial: h.serial, paths: [], complete: false, records: 0, firstSeen: now, tag: this.tag };
      if (h.node !== undefined) ev.node = h.node;
      this.inflight.set(key, ev);
      if (this.inflight.size > this.opts.maxInFlight) {
        const first = this.inflight.keys().next().value;
        if (first !== undefined && first !== key) this.close(first, this.inflight.get(first)!);
      }
    }
    ev.records++;
    const f = this.f;
    f.reset(line, h.body, h.end);
    switch (h.type) {
      case RecType.SYSCALL:
        if (!this.syscall(ev, f)) {
          this.sink.bad('bad_syscall', line);
          ev.invalid = true;
          return;
        }
        this.sink.syscall?.(ev);
        break;
      case RecType.EXECVE:
        execve(ev, f);
        break;
      case RecType.CWD:
        while (f.next()) if (f.keyIs('cwd')) ev.cwd = f.stringValue();
        break;
      case RecType.PATH:
        path(ev, f);
        break;
      case RecType.SOCKADDR:
        while (f.next()) if (f.keyIs('saddr')) ev.saddr = f.rawValue();
        break;
      case RecType.PROCTITLE:
        while (f.next()) if (f.keyIs('proctitle')) ev.proctitle = f.stringValue();
        if (ev.syscall) this.close(key, ev);
        break;
    }
  }

  private syscall(ev: AuditEvent, f: FieldScanner): boolean {
    let arch = '';
    let nr = NaN;
    let success = true;
    let exit = 0;
    const a: [string, string, string, string] = ['', '', '', ''];
    let items = 0;
    let pid = NaN;
    let ppid = 0;
    let uid = NaN;
    let comm: string | undefined;
    let exe: string | undefined;
    let key: string | undefined;
    while (f.next()) {
      const len = f.ke - f.ks;
      const line = f.line;
      const c0 = line.charCodeAt(f.ks);
      // dispatch on first char + length: cheaper than comparing every key
      switch (c0) {
        case 97: // a
          if (len === 4 && f.keyIs('arch')) arch = f.rawValue();
          else if (len === 2) {
            const d = line.charCodeAt(f.ks + 1) - 48;
            if (d >= 0 && d <= 3) a[d] = f.rawValue();
          }
          break;
        case 115: // s
          if (len === 7 && f.keyIs('syscall')) nr = f.intValue();
          else if (len === 7 && f.keyIs('success')) success = line.startsWith('yes', f.vs);
          break;
        case 101: // e
          if (len === 4 && f.keyIs('exit')) exit = f.intValue();
          else if (len === 3 && f.keyIs('exe')) exe = f.stringValue();
          break;
        case 105: // i
          if (len === 5 && f.keyIs('items')) items = f.intValue();
          break;
        case 112: // p
          if (len === 3 && f.keyIs('pid')) pid = f.intValue();
          else if (len === 4 && f.keyIs('ppid')) ppid = f.intValue();
          break;
        case 117: // u
          if (len === 3 && f.keyIs('uid')) uid = f.intValue();
          break;
        case 99: // c
          if (len === 4 && f.keyIs('comm')) comm = f.stringValue();
          break;
        case 107: // k
          if (len === 3 && f.keyIs('key')) key = f.stringValue();
          break;
      }
    }
    if (arch === '' || Number.isNaN(nr) || Number.isNaN(pid)) return false;
    const s: AuditSyscall = { arch, nr, success, exit: Number.isNaN(exit) ? 0 : exit, a, items, pid, ppid, uid };
    if (comm !== undefined) s.comm = comm;
    if (exe !== undefined) s.exe = exe;
    if (key !== undefined) s.key = key;
    ev.syscall = s;
    return true;
  }

  /** close events the stream has moved past (serial window) */
  private flushBehind(): void {
    for (;;) {
      const first = this.inflight.entries().next();
      if (first.done) return;
      const [key, ev] = first.value;
      const max = this.maxSerial.get(ev.node ?? '') ?? ev.serial;
      if (serialDiff(max, ev.serial) > this.opts.serialWindow) {
        this.close(key, ev);
      } else return;
    }
  }

  /** live mode: close events whose first record arrived more than timeoutMs ago */
  flushStale(now: number): void {
    for (const [key, ev] of this.inflight) {
      if (now - ev.firstSeen >= this.opts.timeoutMs) this.close(key, ev);
    }
  }

  /** end of input */
  flushAll(): void {
    for (const [key, ev] of this.inflight) this.close(key, ev);
  }

  private close(key: string, ev: AuditEvent): void {
    this.inflight.delete(key);
    if (ev.chunks) {
      const args = (ev.args ??= []);
      for (const [i, c] of ev.chunks) {
        const joined = c.parts.join('');
        args[i] = c.quoted ? joined : hexOrLiteral(joined);
      }
      ev.chunks = undefined;
    }
    if (ev.args) for (let i = 0; i < ev.args.length; i++) if (ev.args[i] === undefined) ev.args[i] = '';
    this.sink.event(ev);
  }
}

function hexOrLiteral(s: string): string {
  return /^(?:[0-9A-Fa-f]{2})+$/.test(s) ? Buffer.from(s, 'hex').toString('utf8') : s;
}

const MAX_ARGS = 1 << 16;
const MAX_CHUNKS = 256;

/** EXECVE: argc=N a0=… a1_len=N a1[0]=… (split args continue on more EXECVE records) */
function execve(ev: AuditEvent, f: FieldScanner): void {
  const line = f.line;
  while (f.next()) {
    if (line.charCodeAt(f.ks) !== 97 /* a */) continue;
    if (f.keyIs('argc')) {
      const n = f.intValue();
      if (n >= 0 && n <= MAX_ARGS) ev.argc = n;
      continue;
    }
    let i = f.ks + 1;
    let idx = 0;
    let digits = 0;
    let c = 0;
    while (i < f.ke && (c = line.charCodeAt(i)) >= 48 && c <= 57) {
      idx = idx * 10 + (c - 48);
      i++;
      digits++;
    }
    // bounds keep a corrupt index from allocating huge sparse arrays
    if (digits === 0 || idx >= (ev.argc ?? MAX_ARGS) || idx >= MAX_ARGS) continue;
    if (i === f.ke) {
      const args = (ev.args ??= []);
      args[idx] = f.stringValue() ?? '';
    } else if (c === 91 /* [ */) {
      const chunks = (ev.chunks ??= new Map());
      let slot = chunks.get(idx);
      if (!slot) chunks.set(idx, (slot = { parts: [], quoted: f.quoted }));
      let j = i + 1;
      let part = 0;
      while (j < f.ke && (c = line.charCodeAt(j)) >= 48 && c <= 57) part = part * 10 + (c - 48), j++;
      // an argument is at most 128 KiB (MAX_ARG_STRLEN): ~35 chunks of 7.5 KB hex
      if (part < MAX_CHUNKS) slot.parts[part] = f.rawValue();
    }
    // aN_len: the total is implied by the chunks
  }
}

function path(ev: AuditEvent, f: FieldScanner): void {
  let item = ev.paths.length;
  let name: string | undefined;
  let nametype = 'UNKNOWN';
  while (f.next()) {
    if (f.keyIs('item')) item = f.intValue();
    else if (f.keyIs('name')) name = f.stringValue();
    else if (f.keyIs('nametype') || f.keyIs('objtype')) nametype = f.rawValue();
  }
  const p: AuditPath = { item: Number.isNaN(item) ? ev.paths.length : item, nametype };
  if (name !== undefined) p.name = name;
  ev.paths.push(p);
}
