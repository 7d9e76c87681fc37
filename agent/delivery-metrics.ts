// Metrics of delivery: sinks, the durable outbox and the live stream (part of Metrics,
// agent/metrics.ts). Labels are bounded: past a cap of workloads the label is `_other`.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';


export interface DeliveryMetrics {
  /** alerts per delivery attempt, by sink and outcome: delivered | retry | rejected */
  deliveries: Counter<'sink' | 'outcome'>;
  /** one HTTP request to a sink */
  requestDuration: Histogram<'sink'>;
  /** from the alert entering the outbox to the sink's 2xx */
  deliveryLatency: Histogram<'sink'>;
  outboxEnqueued: Counter<'sink'>;
  /** reasons: overflow | expired | rejected | alert_missing | sink_removed */
  outboxDropped: Counter<'sink' | 'reason'>;
  outboxDepth: Gauge<'sink'>;
  /** the outbox worker could not read or update the store (rows stay queued; it retries) */
  storeErrors: Counter<'sink'>;
  outboxOldestAge: Gauge<'sink'>;
  streamClients: Gauge<never>;
  /** clients the server disconnected, by reason: slow_consumer | bad_subscription | no_pong */
  streamDisconnects: Counter<'reason'>;
  streamMessages: Counter<'type'>;
  alertsByWorkload: Counter<'namespace' | 'workload'>;
  /** count a new alert by workload; past `cap` distinct workloads the label becomes `_other` */
  countAlertWorkload(namespace: string | null, workload: string): void;
}

export const WORKLOAD_LABEL_CAP = 500;
export const OVERFLOW_LABEL = '_other';

export function createDeliveryMetrics(registry: Registry, opts: { workloadCap?: number } = {}): DeliveryMetrics {
  const r = [registry];
  const seen = new Set<string>();
  const cap = opts.workloadCap ?? WORKLOAD_LABEL_CAP;
  const alertsByWorkload = new Counter({
    name: 'habitwatch_alerts_by_workload_total',
    help: `New alerts by namespace and workload (kind/name); past ${cap} distinct workloads the workload label is ${OVERFLOW_LABEL}`,
    labelNames: ['namespace', 'workload'],
    registers: r,
  });
  const latencyBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
  return {
    deliveries: new Counter({
      name: 'habitwatch_sink_deliveries_total',
      help: 'Alerts per delivery attempt, by sink and outcome (delivered, retry, rejected)',
      labelNames: ['sink', 'outcome'],
      registers: r,
    }),
    requestDuration: new Histogram({
      name: 'habitwatch_sink_request_duration_seconds',
      help: 'Duration of one delivery request to a sink',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    deliveryLatency: new Histogram({
      name: 'habitwatch_delivery_latency_seconds',
      help: 'Time from an alert entering the outbox to its sink acknowledging it',
      labelNames: ['sink'],
      buckets: latencyBuckets,
      registers: r,
    }),
    outboxEnqueued: new Counter({
      name: 'habitwatch_outbox_enqueued_total',
      help: 'Deliveries queued in the durable outbox, by sink',
      labelNames: ['sink'],
      registers: r,
    }),
    outboxDropped: new Counter({
      name: 'habitwatch_outbox_dropped_total',
      help: 'Deliveries given up, by sink and reason (overflow, expired, rejected, alert_missing, sink_removed)',
      labelNames: ['sink', 'reason'],
      registers: r,
    }),
    outboxDepth: new Gauge({
      name: 'habitwatch_outbox_depth',
      help: 'Deliveries waiting in the outbox, by sink',
      labelNames: ['sink'],
      registers: r,
    }),
    storeErrors: new Counter({
      name: 'habitwatch_outbox_store_errors_total',
      help: 'Times a sink worker could not read or update the outbox in the store (rows stay queued; it retries with backoff)',
      labelNames: ['sink'],
      registers: r,
    }),
    outboxOldestAge: new Gauge({
      name: 'habitwatch_outbox_oldest_age_seconds',
      help: 'Age of the oldest delivery waiting in the outbox, by sink (0 when empty)',
      labelNames: ['sink'],
      registers: r,
    }),
    streamClients: new Gauge({
      name: 'habitwatch_stream_clients',
      help: 'Connected live-stream (WebSocket) clients',
      registers: r,
    }),
    streamDisconnects: new Counter({
      name: 'habitwatch_stream_disconnects_total',
      help: 'Live-stream clients disconnected by the server, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    streamMessages: new Counter({
      name: 'habitwatch_stream_messages_total',
      help: 'Messages pushed to live-stream clients, by type',
      labelNames: ['type'],
      registers: r,
    }),
    alertsByWorkload,
    countAlertWorkload(namespace, workload) {
      let w = workload;
      if (!seen.has(w)) {
        if (seen.size >= cap) w = OVERFLOW_LABEL;
        else seen.add(w);
      }
      alertsByWorkload.inc({ namespace: namespace ?? '', workload: w });
    },
  };
}
