// Request limits: a token bucket per client address (rate) and a cap on requests in
// flight (concurrency). Both answer 429 with Retry-After instead of queueing without
// bound. Time is injected so tests never wait on a clock.

export interface LimitsConfig {
  /** sustained requests per second per client address (0 = unlimited) */
  ratePerSecond: number;
  /** requests a client may make at once before the rate applies */
  burst: number;
  /** requests being handled at once, all clients together */
  maxInFlight: number;
  /** largest request body accepted (413 beyond) */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  ratePerSecond: 50,
  burst: 100,
  maxInFlight: 64,
  maxBodyBytes: 4 << 20,
};

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets per key; the map is bounded (full, idle buckets are the ones dropped). */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();

  constructor(
    private cfg: Pick<LimitsConfig, 'ratePerSecond' | 'burst'>,
    private now: () => number = Date.now,
    private maxKeys = 10_000,
  ) {}

  /** 0 when allowed; otherwise the seconds until a request would be */
  take(key: string): number {
    const { ratePerSecond: rate, burst } = this.cfg;
    if (rate <= 0) return 0;
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.prune(t);
      b = { tokens: burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate));
  }

  private prune(t: number): void {
    const { ratePerSecond: rate, burst } = this.cfg;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * rate >= burst) this.buckets.delete(k);
    }
    // every client is mid-burst: forget the oldest half rather than grow
    if (this.buckets.size >= this.maxKeys) {
      let n = this.buckets.size / 2;
      for (const k of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Requests in flight; `enter` refuses past the cap. */
export class InFlight {
  current = 0;
  constructor(private max: number) {}

  enter(): boolean {
    if (this.max > 0 && this.current >= this.max) return false;
    this.current++;
    return true;
  }

  leave(): void {
    this.current--;
  }
}
