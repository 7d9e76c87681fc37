// The pipeline: sources → enrich → redact → profile/detect → commit alerts → fan out.
// Stages are bounded: sources push into a queue of fixed capacity and wait when it
// is full (backpressure reaches the source, which counts what its kernel buffer
// drops). Alerts are committed per batch; baselines are flushed on an interval.
import type { RuntimeEvent } from '../collector/event.ts';
import { BATCH_ACK, type AckableBatch, type EventBatches } from '../collector/sources/types.ts';
import type { Enricher } from '../collector/enrich/index.ts';
import type { Logger } from '../collector/log.ts';
import { redactEvent } from '../collector/redact-event.ts';
import type { AlertUpdate } from '../models/alert.ts';
import type { IncidentUpdate } from '../models/incident.ts';
import type { Engine } from '../models/engine.ts';
import type { AlertStore } from './store/alerts.ts';
import type { BaselineStore } from './store/baselines.ts';
import type { Metrics } from './metrics.ts';
import type { Bus } from './bus.ts';

export interface PipelineDeps {
  engine: Engine;
  enricher: Enricher;
  log: Logger;
  now: () => number;
  alerts?: AlertStore;
  baselines?: BaselineStore;
  metrics?: Metrics;
  bus?: Bus;
  /** baselines are written at least this often (≤ 1 s: the crash-loss budget) */
  flushIntervalMs?: number;
  /** events buffered between sources and detection */
  queueCapacity?: number;
  /** called with every alert update (replay prints them) */
  onAlert?: (u: AlertUpdate) => void;
}

export class Pipeline {
  events = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** engine counters already exported, to turn cumulative stats into increments */
  private exported = { openEvicted: 0, openExpired: 0, writtenEvicted: 0 };
  private exportedFanOutEvicted = 0;
  private exportedIncidentsEvicted = 0;

  constructor(private deps: PipelineDeps) {}

  /** Redact, enrich and judge one batch. Synchronous: the hot path has no awaits. */
  processBatch(batch: RuntimeEvent[]): AlertUpdate[] {
    const { engine, enricher } = this.deps;
    // enrich first: it may add ancestors (with their argv) from the process cache,
    // and those must be redacted too before anything judges, stores or sends them
    enricher.enrich(batch);
    for (let i = 0; i < batch.length; i++) redactEvent(batch[i]);
    const out: AlertUpdate[] = [];
    for (let i = 0; i < batch.length; i++) engine.process(batch[i], batch[i].time, out);
    this.events += batch.length;
    return out;
  }

  /** Judge a batch and commit what it raised. */
  handle(batch: RuntimeEvent[], acceptedAt = performance.now()): AlertUpdate[] {
    const updates = this.processBatch(batch);
    if (this.deps.bus?.wantsEvents()) this.deps.bus.emit('events', batch);
    if (updates.length === 0) return updates;
    const merged = coalesce(updates);
    const incidents = this.deps.engine.incidents?.drain() ?? [];
    this.deps.alerts?.commit(merged, incidents);
    this.countIncidents(incidents);
    const m = this.deps.metrics;
    const latency = (performance.now() - acceptedAt) / 1000;
    for (const u of merged) {
      if (m) {
        if (u.isNew) m.alerts.inc({ rule: u.alert.rule, severity: u.alert.severity, namespace: u.alert.workload.namespace ?? '' });
        else {
          m.alertRepeats.inc({ rule: u.alert.rule });
          if (u.folded) m.alertFolds.inc({ rule: u.alert.rule });
        }
        m.pipelineLatency.observe(latency);
      }
      this.deps.bus?.emit('alert', u);
      this.deps.onAlert?.(u);
    }
    return merged;
  }

  private countIncidents(incidents: readonly IncidentUpdate[]): void {
    const m = this.deps.metrics;
    if (!m) return;
    for (const u of incidents) {
      if (u.change === 'opened') m.incidents.inc({ severity: u.incident.severity, namespace: u.incident.workload.namespace ?? '' });
      else if (u.change === 'escalated') m.incidentEscalations.inc({ severity: u.incident.severity });
    }
  }

  /** Persist changed baselines now. */
  flush(): void {
    const bs = this.deps.baselines;
    if (!bs) return;
    const t0 = performance.now();
    const n = bs.flush(this.deps.engine.profiler.baselines.values(), this.deps.now());
    if (n > 0) this.deps.metrics?.storeFlushSeconds.observe((performance.now() - t0) / 1000);
  }

  /** Periodic work: learning-state ticks, baseline flush, gauges. */
  periodic(): void {
    const now = this.deps.now();
    this.deps.engine.profiler.tickAll(now);
    try {
      this.flush();
    } catch (e) {
      this.deps.log.error('baseline flush failed', { err: String(e) });
    }
    const m = this.deps.metrics;
    if (m) {
      const byState: Record<string, number> = { learning: 0, stable: 0, unstable: 0, relearning: 0, locked: 0 };
      const byKind: Record<string, number> = {};
      for (const b of this.deps.engine.profiler.baselines.values()) {
        byState[b.meta.state] = (byState[b.meta.state] ?? 0) + 1;
        for (const [k, items] of b.items) byKind[k] = (byKind[k] ?? 0) + items.size;
      }
      for (const [s, n] of Object.entries(byState)) m.baselines.set({ state: s }, n);
      for (const [k, n] of Object.entries(byKind)) m.baselineItems.set({ kind: k }, n);
      this.exportBounds(m);
    }
  }

  private exportBounds(m: Metrics): void {
    const e = this.deps.engine;
    m.boundedEntries.set({ structure: 'open_alerts' }, e.openAlerts);
    m.boundedEntries.set({ structure: 'written_containers' }, e.writtenContainers);
    const s = e.stats;
    const x = this.exported;
    m.boundedEvicted.inc({ structure: 'open_alerts', reason: 'cap' }, s.openEvicted - x.openEvicted);
    m.boundedEvicted.inc({ structure: 'open_alerts', reason: 'expired' }, s.openExpired - x.openExpired);
    m.boundedEvicted.inc({ structure: 'written_containers', reason: 'cap' }, s.writtenEvicted - x.writtenEvicted);
    this.exported = { ...s };
    m.boundedEntries.set({ structure: 'fanout_findings' }, e.fanOut.size);
    if (e.incidents !== undefined) {
      m.boundedEntries.set({ structure: 'open_incidents' }, e.incidents.size);
      m.boundedEvicted.inc({ structure: 'open_incidents', reason: 'cap' }, e.incidents.evicted - this.exportedIncidentsEvicted);
      this.exportedIncidentsEvicted = e.incidents.evicted;
    }
    m.boundedEvicted.inc({ structure: 'fanout_findings', reason: 'cap' }, e.fanOut.evicted - this.exportedFanOutEvicted);
    this.exportedFanOutEvicted = e.fanOut.evicted;
  }

  /** Run live sources until they end or the signal aborts. */
  async run(inputs: { name: string; batches: EventBatches }[], signal: AbortSignal): Promise<void> {
    const interval = this.deps.flushIntervalMs ?? 500;
    this.flushTimer = setInterval(() => this.periodic(), interval);
    this.flushTimer.unref();
    const queue = new BoundedQueue<{ batch: RuntimeEvent[]; at: number }>(this.deps.queueCapacity ?? 65536);
    const gauge = this.deps.metrics?.queueDepth;
    let live = inputs.length;
    const pumps = inputs.map(async ({ name, batches }) => {
      try {
        for await (const batch of batches) {
          if (signal.aborted) break;
          await queue.push({ batch, at: performance.now() }, batch.length);
        }
      } catch (e) {
        if (!signal.aborted) this.deps.log.error('source failed', { source: name, err: String(e) });
      } finally {
        live--;
        if (live === 0) queue.close();
      }
    });
    if (inputs.length === 0) queue.close();
    const onAbort = (): void => queue.close();
    signal.addEventListener('abort', onAbort, { once: true });
    let lastYield = performance.now();
    try {
      for (;;) {
        // a full queue resolves pop() at once: without an occasional macrotask yield
        // the detect loop would starve timers and sockets (API, sinks, stream) for as
        // long as the backlog lasts
        if (performance.now() - lastYield > 10) {
          await new Promise<void>((r) => setImmediate(r));
          lastYield = performance.now();
        }
        const item = await queue.pop();
        if (item === undefined) break;
        gauge?.set({ stage: 'detect' }, queue.size);
        try {
          this.handle(item.batch, item.at);
          (item.batch as AckableBatch)[BATCH_ACK]?.();
        } catch (e) {
          // one bad batch must not stop the agent; count it and go on
          this.deps.log.error('batch failed', { err: String(e), events: item.batch.length });
          this.deps.metrics?.eventsDropped.inc({ source: item.batch[0]?.source ?? 'unknown', reason: 'pipeline_error' }, item.batch.length);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await Promise.allSettled(pumps);
      this.stop();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.periodic();
  }
}

/** Several updates of one alert within a batch become one (the latest). */
export function coalesce(updates: AlertUpdate[]): AlertUpdate[] {
  if (updates.length < 2) return updates;
  const byId = new Map<string, AlertUpdate>();
  for (const u of updates) {
    const prev = byId.get(u.alert.id);
    byId.set(u.alert.id, prev ? { alert: u.alert, isNew: prev.isNew || u.isNew, ...(prev.folded || u.folded ? { folded: true } : {}) } : u);
  }
  return [...byId.values()];
}

/** A FIFO bounded by total weight (events), with async push/pop. */
export class BoundedQueue<T> {
  private items: { v: T; w: number }[] = [];
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
    if (this.closed) return;
    if (this.waitingPop) {
      const p = this.waitingPop;
      this.waitingPop = undefined;
      p(v);
      return;
    }
    this.items.push({ v, w });
    this.weight += w;
  }

  pop(): Promise<T | undefined> {
    if (this.head < this.items.length) {
      const it = this.items[this.head++];
      this.weight -= it.w;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
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
