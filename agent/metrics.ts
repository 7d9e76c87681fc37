// Prometheus metrics (prom-client), one Registry per agent so tests can run several.
// Names are prefixed habitwatch_; labels are bounded — never pid, path or IP.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourceStats } from '../collector/stats.ts';

export interface Metrics {
  registry: Registry;
  eventsReceived: Counter<'source'>;
  eventsDropped: Counter<'source' | 'reason'>;
  parseErrors: Counter<'source' | 'reason'>;
  sourceRestarts: Counter<'source' | 'reason'>;
  alerts: Counter<'rule' | 'severity' | 'namespace'>;
  alertRepeats: Counter<'rule'>;
  pipelineLatency: Histogram<never>;
  queueDepth: Gauge<'stage'>;
  baselines: Gauge<'state'>;
  baselineItems: Gauge<'kind'>;
  storeFlushSeconds: Histogram<never>;
  /** adapter so sources count straight into Prometheus */
  sourceStats: SourceStats;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'habitwatch_' });
  const r = [registry];
  const eventsReceived = new Counter({
    name: 'habitwatch_events_received_total',
    help: 'Events accepted from a source, after decoding',
    labelNames: ['source'],
    registers: r,
  });
  const eventsDropped = new Counter({
    name: 'habitwatch_events_dropped_total',
    help: 'Events lost before or during processing, by source and reason',
    labelNames: ['source', 'reason'],
    registers: r,
  });
  const parseErrors = new Counter({
    name: 'habitwatch_parse_errors_total',
    help: 'Input records that could not be decoded, by source and reason',
    labelNames: ['source', 'reason'],
    registers: r,
  });
  const sourceRestarts = new Counter({
    name: 'habitwatch_source_restarts_total',
    help: 'Restarts of a live source (child process died, file reopened)',
    labelNames: ['source', 'reason'],
    registers: r,
  });
  const m: Metrics = {
    registry,
    eventsReceived,
    eventsDropped,
    parseErrors,
    sourceRestarts,
    alerts: new Counter({
      name: 'habitwatch_alerts_total',
      help: 'Alerts raised (new alerts, not repeats), by rule, severity and namespace',
      labelNames: ['rule', 'severity', 'namespace'],
      registers: r,
    }),
    alertRepeats: new Counter({
      name: 'habitwatch_alert_repeats_total',
      help: 'Occurrences folded into an open alert within its cooldown window',
      labelNames: ['rule'],
      registers: r,
    }),
    pipelineLatency: new Histogram({
      name: 'habitwatch_pipeline_latency_seconds',
      help: 'Time from an event being accepted to its alert being committed',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    queueDepth: new Gauge({
      name: 'habitwatch_queue_depth',
      help: 'Events waiting in a pipeline stage',
      labelNames: ['stage'],
      registers: r,
    }),
    baselines: new Gauge({
      name: 'habitwatch_baselines',
      help: 'Workload baselines by learning state',
      labelNames: ['state'],
      registers: r,
    }),
    baselineItems: new Gauge({
      name: 'habitwatch_baseline_items',
      help: 'Items learned across all baselines, by kind',
      labelNames: ['kind'],
      registers: r,
    }),
    storeFlushSeconds: new Histogram({
      name: 'habitwatch_store_flush_seconds',
      help: 'Duration of one batched store transaction',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: r,
    }),
    sourceStats: {
      received: (source, n = 1) => eventsReceived.inc({ source }, n),
      bad: (source, reason) => parseErrors.inc({ source, reason }),
      dropped: (source, reason, n = 1) => eventsDropped.inc({ source, reason }, n),
      restarted: (source, reason) => sourceRestarts.inc({ source, reason }),
    },
  };
  return m;
}
