// The execs a container saw a moment ago, for rules that need a process's siblings: a
// pipeline is several processes the same shell starts together (`curl … | sh` runs curl
// and sh side by side), and neither exec alone shows the pipe. A small ring per
// container, bounded in count and read by time (ring.ts): pure, no timers.
import { TimeRing } from './ring.ts';

export interface RecentExec {
  pid: number;
  ppid: number;
  exe: string;
  /** program name (rules/types.ts programName) */
  name: string;
  args: readonly string[];
  /** event time, epoch ms */
  time: number;
  /** the parent's executable and argv, when the source knew them */
  parentExe?: string;
  parentArgs?: readonly string[];
}

export class RecentExecs extends TimeRing<RecentExec> {
  constructor(max = 32) {
    super(max);
  }

  /** execs of other children of `ppid` (not `pid`) at or after `since` */
  siblings(ppid: number, pid: number, since: number): RecentExec[] {
    return this.since(since, (e) => e.ppid === ppid && e.pid !== pid);
  }
}
