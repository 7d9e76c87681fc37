// The event loop's health, measured with monitorEventLoopDelay: everything the agent
// answers (API, /readyz, /metrics, sinks, SIGTERM) waits while the loop is blocked.
// Exported as metrics; a stall over a second raises an agent-event-loop-blocked
// self-alert. The budget is ~50 ms (bench: storm_event_loop_p99_ms).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { SelfAlerts } from './self-alerts.ts';

/** a window whose longest delay exceeds this is reported as a stall */
export const STALL_MS = 1000;
const WINDOW_MS = 1000;

export interface LoopHealth {
  /** delay percentiles since start, in ms */
  sinceStart(): { p50: number; p99: number; max: number };
  stop(): void;
}

export function monitorLoop(registry: Registry, self?: SelfAlerts): LoopHealth {
  const window: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  const total: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  window.enable();
  total.enable();
  const r = [registry];
  const perWindow = new Histogram({
    name: 'habitwatch_event_loop_delay_seconds',
    help: 'Longest event-loop delay in each second (monitorEventLoopDelay, 10 ms resolution); budget ~50 ms',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: r,
  });
  const last = new Gauge({
    name: 'habitwatch_event_loop_delay_p99_seconds',
    help: 'p99 event-loop delay over the last second',
    registers: r,
  });
  new Gauge({
    name: 'habitwatch_event_loop_delay_since_start_seconds',
    help: 'Event-loop delay since the agent started, by quantile (0.5, 0.99, 1 = the longest)',
    labelNames: ['quantile'],
    registers: r,
    collect() {
      this.set({ quantile: '0.5' }, total.percentile(50) / 1e9);
      this.set({ quantile: '0.99' }, total.percentile(99) / 1e9);
      this.set({ quantile: '1' }, total.max / 1e9);
    },
  });
  const t = setInterval(() => {
    if (window.count === 0) return;
    const maxMs = window.max / 1e6;
    perWindow.observe(maxMs / 1000);
    last.set(window.percentile(99) / 1e9);
    window.reset();
    if (maxMs > STALL_MS) self?.raise('event-loop-blocked', `the event loop was blocked for ${(maxMs / 1000).toFixed(1)} s`);
  }, WINDOW_MS);
  t.unref();
  return {
    sinceStart: () => ({ p50: total.percentile(50) / 1e6, p99: total.percentile(99) / 1e6, max: total.max / 1e6 }),
    stop() {
      clearInterval(t);
      window.disable();
      total.disable();
    },
  };
}
