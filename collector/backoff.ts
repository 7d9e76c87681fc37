// The one backoff of the code base: exponential from an initial delay up to a ceiling,
// with "equal jitter" (half fixed, half random) so that many agents retrying the same
// thing spread out while a delay never collapses towards zero.

/** The delay before retry number `attempt` (1 = the first retry). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, rand: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.min(initialMs, maxMs), Math.round(ceiling / 2 + (rand() * ceiling) / 2));
}

/** Successive delays for one thing that keeps failing; reset() once it works again. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly o: { initialMs: number; maxMs: number; rand?: () => number }) {}

  /** the next delay (grows with every call until reset) */
  next(): number {
    this.attempt++;
    return backoffMs(this.attempt, this.o.initialMs, this.o.maxMs, this.o.rand);
  }

  reset(): void {
    this.attempt = 0;
  }

  /** failures since the last reset */
  get attempts(): number {
    return this.attempt;
  }
}
