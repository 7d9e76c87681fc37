// File records of habitwatch.bt: W (write-like calls), N (rename target, right after
// its W), O (an open that passed the kernel's filter: a write, or a read of a sensitive
// path). Layouts in habitwatch.bt's header.
import type { EventKind, EventRecord, FileOp, ProcessInfo, RuntimeEvent } from '../../event.ts';
import type { SourceStats } from '../../stats.ts';
import { decodeComm, isInt, isUint, openFlagNames } from './decode.ts';
import { matchesAny, type SensitivePattern } from './sensitive.ts';

export const SOURCE = 'bpftrace';
/** BPFTRACE_STRLEN the program runs with; a string this long minus 1 was cut */
export const STRLEN = 180;
export const AT_FDCWD = -100;
const O_CREAT = 0x40;
const O_TRUNC = 0x200;

/** what the file records need from the parser they belong to */
export interface RecordHost {
  readonly stats: SourceStats;
  readonly counts: { file_write: number; file_open: number; filtered_reads: number };
  /** sensitive-path list for the exact user-space match of reads */
  readonly sensitive: readonly SensitivePattern[];
  /** lines read so far (rename pairing window) */
  readonly lines: number;
  envelope(nsecs: string, cgroupId: string, process: ProcessInfo, kind: EventKind): EventRecord | undefined;
  /** absolute form of a path relative to the cwd or dfd of pid (a child of ppid) at nsecs; marks env partial when it cannot */
  absolute(pid: number, ppid: number, dfd: number, path: string, nsecs: string, env: { enrichment: 'complete' | 'partial' }): string;
  /** the same, given to set now or, relative in a chunk, once the chunk is read (parse.ts chunk()) */
  absoluteInto(pid: number, ppid: number, dfd: number, path: string, nsecs: string, env: { enrichment: 'complete' | 'partial' }, set: (path: string) => void): void;
  emit(ev: RuntimeEvent, out: RuntimeEvent[]): void;
}

interface PendingRename {
  nsecs: string;
  ev: RuntimeEvent & { kind: 'file_write' };
  seenAt: number;
}

function opOf(kind: string, flags: number): FileOp | undefined {
  switch (kind) {
    case 'open':
      return flags & O_CREAT ? 'create' : 'write';
    case 'creat':
      return 'create';
    case 'truncate':
      return 'write';
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

/** the payload details of a write: open flags (open, creat, truncate) or the chmod mode */
function writeDetail(ev: RuntimeEvent & { kind: 'file_write' }, kind: string, flags: number): void {
  if (kind === 'open' || kind === 'creat' || kind === 'truncate') ev.flags = openFlagNames(kind === 'truncate' ? 1 | O_TRUNC : flags);
  else if (kind === 'chmod') ev.mode = flags & 0o7777;
}

export class FileRecords {
  private renames = new Map<number, PendingRename>();

  constructor(private readonly h: RecordHost) {}

  // W nsecs pid tid ppid cgroup uid op flags dfd comm path…
  write(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 12 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3]) || !isInt(f[4]) || !isUint(f[5]) || !isInt(f[6]) || !isInt(f[8]) || !isInt(f[9])) {
      this.h.stats.bad(SOURCE, 'bad_file_record', f.join('\t').slice(0, 120));
      return;
    }
    const flags = Number(f[8]);
    const op = opOf(f[7], flags);
    if (!op) {
      this.h.stats.bad(SOURCE, 'bad_value', `file op ${f[7].slice(0, 20)}`);
      return;
    }
    const ev = this.writeEvent(f, op, Number(f[9]));
    if (!ev) {
      if (op === 'rename') this.renames.delete(Number(f[3]));
      return;
    }
    writeDetail(ev, f[7], flags);
    if (op === 'rename') {
      // wait for the N record with the target, printed right after this one
      const tid = Number(f[3]);
      const prev = this.renames.get(tid);
      if (prev) this.h.emit(prev.ev, out);
      this.renames.set(tid, { nsecs: f[1], ev, seenAt: this.h.lines });
      return;
    }
    this.h.emit(ev, out);
  }

  // O nsecs pid tid ppid cgroup uid kind flags dfd comm path…
  open(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 12 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3]) || !isInt(f[4]) || !isUint(f[5]) || !isInt(f[6]) || !isUint(f[7]) || !isInt(f[8]) || !isInt(f[9])) {
      this.h.stats.bad(SOURCE, 'bad_file_record', f.join('\t').slice(0, 120));
      return;
    }
    const kind = Number(f[7]);
    const flags = Number(f[8]);
    if (kind === 1) {
      const ev = this.writeEvent(f, flags & O_CREAT ? 'create' : 'write', Number(f[9]));
      if (!ev) return;
      writeDetail(ev, 'open', flags);
      this.h.emit(ev, out);
      return;
    }
    if (kind !== 2 && kind !== 3 && kind !== 4) {
      this.h.stats.bad(SOURCE, 'bad_value', `open kind ${kind}`);
      return;
    }
    const raw0 = f.length > 12 ? f.slice(11).join('\t') : f[11];
    if (raw0 === '') {
      this.h.stats.bad(SOURCE, 'unreadable_string', 'read without path');
      return;
    }
    // kind 4: relative to a cwd that is the process's root, so absolute with a leading /
    const raw = kind === 4 ? '/' + raw0 : raw0;
    const pid = Number(f[2]);
    const ev = this.h.envelope(f[1], f[5], { pid, exe: decodeComm(f[10]), args: [], ppid: Number(f[4]), uid: Number(f[6]) }, 'file_open');
    if (!ev) return;
    // resolved now: whether the read is reported depends on the path
    const path = this.h.absolute(pid, Number(f[4]), Number(f[9]), raw, f[1], ev);
    // the kernel's filter is a superset (kind 3: not matched at all): match exactly here
    if (!path.startsWith('/') || !matchesAny(this.h.sensitive, path)) {
      this.h.counts.filtered_reads++;
      return;
    }
    ev.path = path;
    ev.flags = openFlagNames(flags);
    if (raw0.length >= STRLEN - 1) ev.enrichment = 'partial';
    this.h.counts.file_open++;
    this.h.emit(ev.event(), out);
  }

  /** the file_write event of a W/O record (fields 1-6, 10, 11+); undefined when filtered or unreadable */
  private writeEvent(f: string[], op: FileOp, dfd: number): (RuntimeEvent & { kind: 'file_write' }) | undefined {
    const raw = f.length > 12 ? f.slice(11).join('\t') : f[11];
    if (raw === '') {
      // user memory not faulted in yet: the kernel still did the call, we cannot say on what
      this.h.stats.bad(SOURCE, 'unreadable_string', `${op} without path`);
      return undefined;
    }
    const pid = Number(f[2]);
    const rec = this.h.envelope(f[1], f[5], { pid, exe: decodeComm(f[10]), args: [], ppid: Number(f[4]), uid: Number(f[6]) }, 'file_write');
    if (!rec) return undefined;
    this.h.absoluteInto(pid, Number(f[4]), dfd, raw, f[1], rec, (p) => (rec.path = p));
    rec.op = op;
    const ev = rec.event() as RuntimeEvent & { kind: 'file_write' };
    if (raw.length >= STRLEN - 1) ev.enrichment = 'partial';
    this.h.counts.file_write++;
    return ev;
  }

  // N tid nsecs newpath…
  renameTarget(f: string[], out: RuntimeEvent[]): void {
    if (f.length < 4 || !isUint(f[1]) || !isUint(f[2])) {
      this.h.stats.bad(SOURCE, 'bad_file_record', f.join('\t').slice(0, 120));
      return;
    }
    const tid = Number(f[1]);
    const p = this.renames.get(tid);
    if (!p || p.nsecs !== f[2]) return; // its W record was filtered out or unreadable
    this.renames.delete(tid);
    const raw = f.length > 4 ? f.slice(3).join('\t') : f[3];
    if (raw !== '') this.h.absoluteInto(p.ev.process.pid, p.ev.process.ppid ?? -1, AT_FDCWD, raw, f[2], p.ev, (np) => (p.ev.newPath = np));
    else p.ev.enrichment = 'partial';
    this.h.emit(p.ev, out);
  }

  /** renames whose target record never came (lost) go out without it */
  expire(out: RuntimeEvent[]): void {
    for (const [tid, p] of this.renames) {
      if (this.h.lines - p.seenAt > 1000) {
        p.ev.enrichment = 'partial';
        this.h.emit(p.ev, out);
        this.renames.delete(tid);
      }
    }
  }

  /** end of input: renames still waiting go out as they are */
  flush(out: RuntimeEvent[]): void {
    for (const p of this.renames.values()) this.h.emit(p.ev, out);
    this.renames.clear();
  }
}
