// The execs a container saw a moment ago, for rules that need a process's siblings: a
// pipeline is several processes the same shell starts together (`curl … | sh` runs curl
// and sh side by side), and neither exec alone shows the pipe. A small ring per
// container, bounded in count and read by time: pure, no timers.

export interface RecentExec {
  pid: number;
  ppid: number;
  exe: string;
  /** program name (rules/types.ts programName) */
  name: string;
  args: readonly string[];
  /** event time, epoch ms */
  time: number;
}

export class RecentExecs {
  private ring: RecentExec[] = [];
  private next = 0;

  constructor(private readonly max = 32) {}

  add(e: RecentExec): void {
    if (this.ring.length < this.max) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.max;
  }

  /** execs of other children of `ppid` (not `pid`) at or after `since` */
  siblings(ppid: number, pid: number, since: number): RecentExec[] {
    const out: RecentExec[] = [];
    for (const e of this.ring) if (e.ppid === ppid && e.pid !== pid && e.time >= since) out.push(e);
    return out;
  }
}
