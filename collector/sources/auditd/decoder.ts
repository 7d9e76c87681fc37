// Lines → RuntimeEvents: the grouper and the mapper wired to stats, shared by
// replay and live mode (and the bench).
import type { RuntimeEvent } from '../../event.ts';
import type { SourceStats } from '../../stats.ts';
import { DEFAULT_GROUPER, Grouper, type AuditEvent, type GrouperOptions } from './group.ts';
import { Mapper, SOURCE } from './map.ts';
import type { ProcReader } from './procfs.ts';

export interface DecoderOptions {
  node: string;
  stats: SourceStats;
  grouper?: GrouperOptions;
  /** live mode only: /proc lookups at receive time */
  proc?: ProcReader;
  /**
   * live mode: stamp ctx.node even when records carry `node=` (auditd's name_format
   * may be a hostname other than the node name); replay keeps the record's node
   */
  forceNode?: boolean;
}

export class AuditDecoder {
  /** events ready to hand out; take() empties it */
  private out: RuntimeEvent[] = [];
  readonly grouper: Grouper;
  private readonly mapper: Mapper;

  constructor(private readonly o: DecoderOptions) {
    const stats = o.stats;
    const proc = o.proc;
    this.mapper = new Mapper(
      proc ? { listenPort: (pid, fd) => proc.listenPort(pid, fd), socketProto: (pid, fd, port) => proc.socketProto(pid, fd, port) } : {},
    );
    this.grouper = new Grouper(
      {
        event: (ev) => this.onEvent(ev),
        bad: (reason, detail) => stats.bad(SOURCE, reason, detail),
        gap: (n) => stats.dropped(SOURCE, 'serial_gap', n),
        ...(proc
          ? {
              syscall: (ev: AuditEvent) => {
                // as early as possible: the process may exit any moment. When it is
                // already gone, its parent is the best guess: a child starts in its
                // parent's cgroup and processes rarely move (runc's init aside)
                const sc = ev.syscall!;
                const p = proc.cgroupPath(sc.pid) ?? (sc.ppid > 1 ? proc.cgroupPath(sc.ppid) : undefined);
                if (p !== undefined) ev.cgroupPath = p;
              },
            }
          : {}),
      },
      o.grouper ?? DEFAULT_GROUPER,
    );
  }

  private onEvent(ev: AuditEvent): void {
    if (!ev.syscall) {
      if (ev.invalid) return; // counted as bad_syscall already
      this.o.stats.bad(SOURCE, 'orphan_record', `${ev.stamp}: ${ev.records} record(s) without SYSCALL`);
      return;
    }
    if (this.o.forceNode) ev.node = undefined;
    this.mapper.map(ev, this.o.node, this.out);
    this.o.stats.received(SOURCE, 1);
  }

  push(line: string, now = 0): void {
    this.grouper.push(line, now);
  }

  /** feed lines; `tag` marks the events they start (live mode: the input chunk, see oldestTag) */
  pushLines(lines: string[], now = 0, tag = 0): void {
    const g = this.grouper;
    g.tag = tag;
    for (let i = 0; i < lines.length; i++) g.push(lines[i], now);
  }

  /** the tag of the oldest event still being assembled (its records may be in an earlier chunk) */
  oldestTag(): number | undefined {
    return this.grouper.oldestTag();
  }

  flushStale(now: number): void {
    this.grouper.flushStale(now);
  }

  flushAll(): void {
    this.grouper.flushAll();
  }

  take(): RuntimeEvent[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
