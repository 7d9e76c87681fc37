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
/**
 * How often the loop is sampled. Each sample is a wake-up of an otherwise idle process:
 * at 10 ms the monitors alone cost an idle agent ~3.4 ms of CPU per second on the
 * 2-vCPU test machine (one wake-up ~35 µs; monitors of one resolution wake together),
 * at 100 ms ~0.5 ms (docs/performance.md, idle cost). A stall still shows in full: the
 * sample after it is late by all of it.
 */
export const SAMPLE_MS = 100;

export interface LoopHealth {
  /** delay percentiles since start, in ms, and how many samples they are of */
  sinceStart(): { p50: number; p99: number; max: number; samples: number };
  /**
   * Startup is over (API listening, sources starting): "since start" counts from here.
   * Startup compiles schemas and loads modules in one go, before anything is served.
   */
  started(): void;
  stop(): void;
}

/**
 * A delay in ms from what the histogram recorded: monitorEventLoopDelay records the whole
 * interval between two of its timer's runs — the resolution plus the delay (an idle loop
 * reads SAMPLE_MS, not 0; nodejs/node#62935: "an implicit floor of resolution ms").
 */
const delayMs = (ns: number): number => Math.max(0, ns / 1e6 - SAMPLE_MS);

export function monitorLoop(registry: Registry, self?: SelfAlerts): LoopHealth {
  const window: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_MS });
  const total: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_MS });
  window.enable();
  total.enable();
  const r = [registry];
  const perWindow = new Histogram({
    name: 'habitwatch_event_loop_delay_seconds',
    help: `Longest event-loop delay in each second (monitorEventLoopDelay, sampled every ${SAMPLE_MS} ms); budget ~50 ms`,
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
    help: 'Event-loop delay since the agent finished starting, by quantile (0.5, 0.99, 1 = the longest)',
    labelNames: ['quantile'],
    registers: r,
    collect() {
      this.set({ quantile: '0.5' }, delayMs(total.percentile(50)) / 1000);
      this.set({ quantile: '0.99' }, delayMs(total.percentile(99)) / 1000);
      this.set({ quantile: '1' }, delayMs(total.max) / 1000);
    },
  });
  const t = setInterval(() => {
    if (window.count === 0) return;
    const maxMs = delayMs(window.max);
    perWindow.observe(maxMs / 1000);
    last.set(delayMs(window.percentile(99)) / 1000);
    window.reset();
    if (maxMs > STALL_MS) self?.raise('event-loop-blocked', `the event loop was blocked for ${(maxMs / 1000).toFixed(1)} s`);
  }, WINDOW_MS);
  t.unref();
  return {
    started: () => total.reset(),
    sinceStart: () => ({ p50: delayMs(total.percentile(50)), p99: delayMs(total.percentile(99)), max: delayMs(total.max), samples: total.count }),
    stop() {
      clearInterval(t);
      window.disable();
      total.disable();
    },
  };
}
