// A small ring of the latest entries, bounded in count and read by time: what a
// container did a moment ago, for rules that judge a burst or a pipeline rather than one
// event (siblings.ts, recent-connects.ts). Pure: no timers.

export class TimeRing<T extends { time: number }> {
  private ring: T[] = [];
  private next = 0;

  constructor(private readonly max: number) {}

  add(e: T): void {
    if (this.ring.length < this.max) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.max;
  }

  /** the entries at or after `since` that `keep` accepts, oldest first */
  since(since: number, keep?: (e: T) => boolean): T[] {
    const out: T[] = [];
    const n = this.ring.length;
    const start = n < this.max ? 0 : this.next;
    for (let i = 0; i < n; i++) {
      const e = this.ring[(start + i) % n];
      if (e.time >= since && (keep === undefined || keep(e))) out.push(e);
    }
    return out;
  }
}
