// A bounded queue of event batches between producers (file followers, an HTTP
// endpoint) and the one consumer (the pipeline iterating the source). Producers that
// can wait (file readers) await space; producers that cannot (HTTP) get `false` and
// answer 503, so memory stays bounded either way.
export class BatchChannel<T> {
  private queue: T[][] = [];
  private size = 0;
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducers: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** enqueue without waiting; false when full or closed */
  offer(batch: T[]): boolean {
    if (this.closed || this.size >= this.capacity) return false;
    this.put(batch);
    return true;
  }

  /** enqueue, waiting for space */
  async push(batch: T[]): Promise<void> {
    while (!this.closed && this.size >= this.capacity) {
      await new Promise<void>((r) => this.wakeProducers.push(r));
    }
    if (!this.closed) this.put(batch);
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
    for (const w of this.wakeProducers.splice(0)) w();
  }

  private put(batch: T[]): void {
    if (batch.length === 0) return;
    this.queue.push(batch);
    this.size += batch.length;
    this.wakeConsumer?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T[]> {
    for (;;) {
      const b = this.queue.shift();
      if (b) {
        this.size -= b.length;
        for (const w of this.wakeProducers.splice(0)) w();
        yield b;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.wakeConsumer = r));
      this.wakeConsumer = undefined;
    }
  }
}
