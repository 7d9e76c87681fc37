// The connections a container made a moment ago, for rules that judge a burst rather
// than one connection (a port scan is many service ports of one address from one
// process within seconds; each connection alone is ordinary). A small ring per
// container, bounded in count and read by time (ring.ts): pure, no timers.
import { TimeRing } from './ring.ts';

export interface RecentConnect {
  pid: number;
  proto: string;
  addr: string;
  port: number;
  /** event time, epoch ms */
  time: number;
}

export class RecentConnects extends TimeRing<RecentConnect> {
  constructor(max = 64) {
    super(max);
  }

  /** the distinct ports `pid` connected to on `proto` `addr` at or after `since` */
  ports(pid: number, proto: string, addr: string, since: number): Set<number> {
    return new Set(this.since(since, (c) => c.pid === pid && c.addr === addr && c.proto === proto).map((c) => c.port));
  }
}
