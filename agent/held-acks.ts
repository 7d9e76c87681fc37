// Acknowledgements (source offsets) of batches whose events enrichment held back (a
// container whose pod the API has not reported yet): a batch's ack waits until every
// held event of it is judged and committed, and acks go out in batch order — an offset
// never moves past an event that is not stored yet (a crash meanwhile re-reads it).
import type { RuntimeEvent } from '../collector/event.ts';

interface Waiting {
  ack: () => void;
  /** held events of the batch not committed yet */
  waiting: number;
}

export class HeldAcks {
  private queue: Waiting[] = [];
  private of = new WeakMap<RuntimeEvent, Waiting>();

  /** acks are waiting: a later batch's ack must wait behind them (order) */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** the batch's ack waits for these held events of it (none: only for earlier batches) */
  hold(ack: () => void, held: readonly RuntimeEvent[]): void {
    const w: Waiting = { ack, waiting: held.length };
    for (const ev of held) this.of.set(ev, w);
    this.queue.push(w);
  }

  /**
   * What these released events hold up, taken before they are judged (judging leaves
   * the agent's own events out of the array): settle it once they are committed.
   */
  entriesOf(events: readonly RuntimeEvent[]): Waiting[] {
    const out: Waiting[] = [];
    for (const ev of events) {
      const w = this.of.get(ev);
      if (w !== undefined) out.push(w);
    }
    return out;
  }

  /** the released events of these entries are committed */
  settle(entries: readonly Waiting[]): void {
    for (const w of entries) w.waiting--;
  }

  /** the first ack nothing holds up any more (commit it, then `done()`), if any */
  next(): (() => void) | undefined {
    const w = this.queue[0];
    return w !== undefined && w.waiting <= 0 ? w.ack : undefined;
  }

  /** the ack `next()` gave is committed */
  done(): void {
    this.queue.shift();
  }
}
