// Baselines are written to the store on an interval (≤ 1 s: the crash-loss budget):
// what changed since the last write. In a storm thousands of baselines change between
// two flushes (each new workload is a new baseline, a few rows each), and writing them
// in one transaction held the event loop for tens of milliseconds: the interval's flush
// writes them in transactions of FLUSH_SLICE baselines, the event loop free between
// them. Once a pass has written everything it found changed, the saved baselines beyond
// the in-memory bound leave memory (read again from the store when needed).
import type { Logger } from '../collector/log.ts';
import type { Engine } from '../models/engine.ts';
import { unsaved } from '../models/baseline/profiler.ts';
import type { BaselineStore } from './store/baselines.ts';
import type { StoreHealth } from './store/health.ts';
import type { Metrics } from './metrics.ts';

/** changed baselines written per transaction by the interval's flush */
export const FLUSH_SLICE = 100;

export interface FlusherDeps {
  engine: Engine;
  baselines?: BaselineStore;
  metrics?: Metrics;
  health?: StoreHealth;
  log: Logger;
  now: () => number;
  /** lets timers, sockets and signals run between two slices */
  yieldLoop: () => Promise<void>;
}

export class BaselineFlusher {
  /** the interval's pass, while it runs (the next interval does not start another) */
  private pass: Promise<void> | undefined;

  constructor(private deps: FlusherDeps) {}

  /** Write every changed baseline now, in one transaction (stop, tests); throws when the store fails. */
  flushAll(): void {
    this.write(Infinity);
  }

  /** Flush everything, then let saved baselines go: synchronous (the last pass at stop). */
  flushAndEvict(): void {
    try {
      this.flushAll();
      this.saved();
    } catch (e) {
      this.failed(e);
    }
  }

  /** The interval's flush: in slices, the loop free between them; a pass still running is left to finish. */
  flushInSlices(): Promise<void> {
    this.pass ??= this.slices().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async slices(): Promise<void> {
    let left = 0;
    for (const b of this.deps.engine.profiler.baselines.values()) if (unsaved(b)) left++;
    try {
      // what changes meanwhile is written by a later slice or the next pass: a pass ends
      for (;;) {
        this.write(FLUSH_SLICE);
        left -= FLUSH_SLICE;
        if (left <= 0) break;
        await this.deps.yieldLoop();
      }
      this.saved();
    } catch (e) {
      this.failed(e);
    }
  }

  /** writes at most `max` changed baselines (and the deletions waiting) in one transaction */
  private write(max: number): void {
    const bs = this.deps.baselines;
    if (!bs) return;
    const t0 = performance.now();
    const profiler = this.deps.engine.profiler;
    const n = bs.flush(profiler.baselines.values(), this.deps.now(), profiler.takeDropped(), max);
    if (n > 0) this.deps.metrics?.storeFlushSeconds.observe((performance.now() - t0) / 1000);
  }

  /** saved now: baselines beyond the in-memory bound can go */
  private saved(): void {
    this.deps.health?.ok('flush');
    this.deps.engine.profiler.evict(this.deps.now());
  }

  /** nothing is lost: the change marks stay until a flush commits */
  private failed(e: unknown): void {
    if (this.deps.health) this.deps.health.failed('flush', e);
    else this.deps.log.error('baseline flush failed', { err: String(e) });
  }
}
