// The bounded queue between sources and detection: a FIFO bounded by total weight
// (events), so a full queue makes sources wait (backpressure) instead of growing.

/** A FIFO bounded by total weight (events), with async push/pop. */
export class BoundedQueue<T> {
  /** slots before `head` were popped and are emptied (undefined): never keep what was handed out */
  private items: ({ v: T; w: number } | undefined)[] = [];
  private head = 0;
  private weight = 0;
  private closed = false;
  private waitingPop: ((v: T | undefined) => void) | undefined;
  private waitingPush: (() => void)[] = [];

  constructor(private capacity: number) {}

  get size(): number {
    return this.weight;
  }

  async push(v: T, w = 1): Promise<void> {
    while (!this.closed && this.weight > 0 && this.weight + w > this.capacity) {
      await new Promise<void>((r) => this.waitingPush.push(r));
    }
    this.pushNow(v, w);
  }

  /**
   * Add without waiting for room (what the caller adds is bounded elsewhere: events the
   * enricher held back and released). False when closed.
   */
  pushNow(v: T, w = 1): boolean {
    if (this.closed) return false;
    if (this.waitingPop) {
      const p = this.waitingPop;
      this.waitingPop = undefined;
      p(v);
      return true;
    }
    this.items.push({ v, w });
    this.weight += w;
    return true;
  }

  pop(): Promise<T | undefined> {
    if (this.head < this.items.length) {
      const it = this.items[this.head]!;
      this.items[this.head++] = undefined;
      this.weight -= it.w;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      const wake = this.waitingPush.shift();
      wake?.();
      return Promise.resolve(it.v);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => (this.waitingPop = r));
  }

  close(): void {
    this.closed = true;
    for (const w of this.waitingPush.splice(0)) w();
    if (this.waitingPop && this.head >= this.items.length) {
      const p = this.waitingPop;
      this.waitingPop = undefined;
      p(undefined);
    }
  }
}
