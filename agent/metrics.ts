// Prometheus metrics (prom-client), one Registry per agent so tests can run several.
// Names are prefixed habitwatch_; labels are bounded — never pid, path or IP.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourceStats } from '../collector/stats.ts';
import { sources } from '../collector/sources/index.ts';
import type { Engine } from '../models/engine.ts';
import { SAMPLE_MS } from './loop-health.ts';
import { createDeliveryMetrics, type DeliveryMetrics } from './delivery-metrics.ts';

export { createDeliveryMetrics, OVERFLOW_LABEL, WORKLOAD_LABEL_CAP, type DeliveryMetrics } from './delivery-metrics.ts';

export interface Metrics {
  registry: Registry;
  eventsReceived: Counter<'source'>;
  eventsDropped: Counter<'source' | 'reason'>;
  /** events of the agent's own processes, cgroup or pod: not judged (collector/enrich/self.ts) */
  ownEvents: Counter<'source'>;
  parseErrors: Counter<'source' | 'reason'>;
  recordsRepaired: Counter<'source' | 'reason'>;
  sourceRestarts: Counter<'source' | 'reason'>;
  alerts: Counter<'rule' | 'severity' | 'namespace'>;
  alertRepeats: Counter<'rule'>;
  /** of the repeats, those that were a new target of a fan-out finding */
  alertFolds: Counter<'rule'>;
  /** incidents opened (what pages), and raised to a higher severity */
  incidents: Counter<'severity' | 'namespace'>;
  incidentEscalations: Counter<'severity'>;
  pipelineLatency: Histogram<never>;
  queueDepth: Gauge<'stage'>;
  baselines: Gauge<'state'>;
  baselineItems: Gauge<'kind'>;
  storeFlushSeconds: Histogram<never>;
  /** entries held by a bounded in-memory structure (open_alerts, written_containers, …) */
  boundedEntries: Gauge<'structure'>;
  /** entries a bounded structure forgot to stay under its cap (reason: cap | expired) */
  boundedEvicted: Counter<'structure' | 'reason'>;
  /** API requests refused (4xx: bad input, auth, limits) by status */
  apiRefused: Counter<'status'>;
  /** TLS certificate reloads by result (ok, failed) */
  apiTlsReloads: Counter<'result'>;
  /** 1 while an agent condition holds (storage-failing, …), else 0 */
  agentCondition: Gauge<'condition'>;
  /** 1 while every store operation succeeds, 0 while one keeps failing */
  storeHealthy: Gauge<never>;
  /** failed store operations, by operation (commit, flush, retention, database) */
  storeErrors: Counter<'op'>;
  /** rows retention deleted, by table (alerts, incidents, audit, baselines) and reason (age, count) */
  retentionDeleted: Counter<'table' | 'reason'>;
  /** the database file: created, opened, missing, replaced (at start or while running), restored */
  databaseEvents: Counter<'event'>;
  /** adapter so sources count straight into Prometheus */
  sourceStats: SourceStats;
  /** sinks, outbox and live stream (createDeliveryMetrics) */
  delivery: DeliveryMetrics;
  /**
   * The engine whose state `baselines`, `baselineItems`, `boundedEntries` and
   * `boundedEvicted` report. They are read when Prometheus scrapes, not recomputed on
   * a timer over every baseline: an idle agent does no work for a metric nobody reads.
   */
  watchEngine(engine: Engine): void;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // prom-client's own event-loop lag monitor samples as often as the agent's (loop-health.ts): every sample wakes an idle process
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'habitwatch_', eventLoopMonitoringPrecision: SAMPLE_MS });
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
  const recordsRepaired = new Counter({
    name: 'habitwatch_records_repaired_total',
    help: 'Input records kept after repairing a defect (bad_encoding: invalid UTF-8 shown as U+FFFD), by source and reason',
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
  let engine: Engine | undefined;
  const evictedSeen = new Map<string, number>();
  const m: Metrics = {
    watchEngine: (e) => void (engine = e),
    registry,
    eventsReceived,
    eventsDropped,
    ownEvents: new Counter({
      name: 'habitwatch_own_events_total',
      help: "Events of the agent's own processes (itself, its children, its own cgroup or pod), neither learned nor judged",
      labelNames: ['source'],
      registers: r,
    }),
    parseErrors,
    recordsRepaired,
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
    alertFolds: new Counter({
      name: 'habitwatch_alert_folds_total',
      help: 'Of the repeats, new targets folded into an open fan-out finding (one process, many new targets)',
      labelNames: ['rule'],
      registers: r,
    }),
    incidents: new Counter({
      name: 'habitwatch_incidents_total',
      help: 'Incidents opened (alerts of one attack grouped; what pages a human), by severity at opening and namespace',
      labelNames: ['severity', 'namespace'],
      registers: r,
    }),
    incidentEscalations: new Counter({
      name: 'habitwatch_incident_escalations_total',
      help: 'Incidents raised to a higher severity by a later alert, by the new severity',
      labelNames: ['severity'],
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
      help: 'Workload baselines in memory by learning state (stored ones are read when their workload shows up)',
      labelNames: ['state'],
      registers: r,
      collect() {
        if (!engine) return;
        const byState: Record<string, number> = { learning: 0, stable: 0, unstable: 0, relearning: 0, locked: 0 };
        for (const b of engine.profiler.baselines.values()) byState[b.meta.state] = (byState[b.meta.state] ?? 0) + 1;
        for (const [state, n] of Object.entries(byState)) this.set({ state }, n);
      },
    }),
    baselineItems: new Gauge({
      name: 'habitwatch_baseline_items',
      help: 'Items learned across the baselines in memory, by kind',
      labelNames: ['kind'],
      registers: r,
      collect() {
        if (!engine) return;
        const byKind: Record<string, number> = {};
        for (const b of engine.profiler.baselines.values()) for (const [kind, items] of b.items) byKind[kind] = (byKind[kind] ?? 0) + items.size;
        for (const [kind, n] of Object.entries(byKind)) this.set({ kind }, n);
      },
    }),
    storeFlushSeconds: new Histogram({
      name: 'habitwatch_store_flush_seconds',
      help: 'Duration of one batched store transaction',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: r,
    }),
    boundedEntries: new Gauge({
      name: 'habitwatch_bounded_entries',
      help: 'Entries held by a bounded in-memory structure (open_alerts, written_containers, baselines, fanout_findings, open_incidents)',
      labelNames: ['structure'],
      registers: r,
      collect() {
        if (!engine) return;
        this.set({ structure: 'open_alerts' }, engine.openAlerts);
        this.set({ structure: 'baselines' }, engine.profiler.baselines.size);
        this.set({ structure: 'written_containers' }, engine.writtenContainers);
        this.set({ structure: 'fanout_findings' }, engine.fanOut.size);
        if (engine.incidents !== undefined) this.set({ structure: 'open_incidents' }, engine.incidents.size);
      },
    }),
    boundedEvicted: new Counter({
      name: 'habitwatch_bounded_evicted_total',
      help: 'Entries a bounded in-memory structure forgot, by structure and reason (cap: over its size cap; expired: its time passed; idle: unused for its idle time)',
      labelNames: ['structure', 'reason'],
      registers: r,
      collect() {
        if (!engine) return;
        // the engine counts since it started; the counter moves by what is new since the last scrape
        const s = engine.stats;
        const now: [string, string, number][] = [
          ['open_alerts', 'cap', s.openEvicted],
          ['open_alerts', 'expired', s.openExpired],
          ['written_containers', 'cap', s.writtenEvicted],
          ['baselines', 'cap', engine.profiler.stats.evicted],
          ['baselines', 'idle', engine.profiler.stats.idle],
          ['fanout_findings', 'cap', engine.fanOut.evicted],
        ];
        if (engine.incidents !== undefined) now.push(['open_incidents', 'cap', engine.incidents.evicted]);
        for (const [structure, reason, total] of now) {
          const k = `${structure}|${reason}`;
          const d = total - (evictedSeen.get(k) ?? 0);
          if (d > 0) this.inc({ structure, reason }, d);
          evictedSeen.set(k, total);
        }
      },
    }),
    apiRefused: new Counter({
      name: 'habitwatch_api_refused_total',
      help: 'API requests answered with an error status (400, 401, 403, 404, 413, 429, …), by status',
      labelNames: ['status'],
      registers: r,
    }),
    apiTlsReloads: new Counter({
      name: 'habitwatch_api_tls_reloads_total',
      help: 'Changed API TLS certificate/key files loaded (ok) or refused, the previous pair still serving (failed)',
      labelNames: ['result'],
      registers: r,
    }),
    agentCondition: new Gauge({
      name: 'habitwatch_agent_condition',
      help: 'Agent conditions that hold now (1), e.g. storage-failing; each raises an agent-<condition> self-alert when it starts',
      labelNames: ['condition'],
      registers: r,
    }),
    storeHealthy: new Gauge({
      name: 'habitwatch_store_healthy',
      help: 'Whether the agent can persist (1) or a store operation keeps failing (0, the agent is not ready)',
      registers: r,
    }),
    retentionDeleted: new Counter({
      name: 'habitwatch_retention_deleted_total',
      help: 'Rows retention deleted, by table (alerts, incidents, audit, baselines) and reason (age: past maxAge; count: beyond maxCount)',
      labelNames: ['table', 'reason'],
      registers: r,
    }),
    databaseEvents: new Counter({
      name: 'habitwatch_database_events_total',
      help: 'The database file: created, opened, missing or replaced (found at start, or while running), restored in place',
      labelNames: ['event'],
      registers: r,
    }),
    storeErrors: new Counter({
      name: 'habitwatch_store_errors_total',
      help: 'Failed store operations, by operation (commit, flush, retention, database); each is retried',
      labelNames: ['op'],
      registers: r,
    }),
    sourceStats: {
      received: (source, n = 1) => eventsReceived.inc({ source }, n),
      bad: (source, reason) => parseErrors.inc({ source, reason }),
      dropped: (source, reason, n = 1) => eventsDropped.inc({ source, reason }, n),
      restarted: (source, reason) => sourceRestarts.inc({ source, reason }),
      repaired: (source, reason, n = 1) => recordsRepaired.inc({ source, reason }, n),
    },
    delivery: createDeliveryMetrics(registry),
  };
  registerSourceCounters(registry);
  return m;
}

/** the counters sources keep about themselves (SourceDefinition.counters), read at scrape time */
function registerSourceCounters(registry: Registry): void {
  for (const def of sources) {
    for (const c of def.counters ?? []) {
      new Counter({
        name: c.name,
        help: c.help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(c.value());
        },
      });
    }
  }
}
