// The outbox dispatcher: enqueues deliveries inside the alert commit (AlertStore.onCommit,
// and IncidentStore.onCommit for sinks that deliver incidents) and runs one independent
// loop per sink (worker.ts), so a slow or dead sink only ever delays itself.
import type { Severity } from '../../models/alert.ts';
import type { Incident } from '../../models/incident.ts';
import type { Db } from '../store/db.ts';
import { Outbox } from '../store/outbox.ts';
import type { AlertStore } from '../store/alerts.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../../collector/log.ts';
import { backoffMs } from '../../collector/backoff.ts';
import { timerWithClock, type Timer } from '../timer.ts';
import { SinkWorker, type DropHook, type ResolvedSink } from './worker.ts';
import { matchesFilter, matchesIncident } from './filter.ts';

export type { DropHook, ResolvedSink } from './worker.ts';
export { matchesFilter, matchesIncident };
export { backoffMs };

const GAUGE_INTERVAL_MS = 1000;


export interface DispatcherOptions {
  db: Db;
  alerts: AlertStore;
  metrics: Metrics;
  log: Logger;
  sinks: ResolvedSink[];
  now?: () => number;
  /** clock and timers (backoff, idle wake-ups, gauges, re-sends); default: the real ones with `now` */
  timer?: Timer;
  /** called (possibly inside the alert commit transaction) when deliveries are dropped on purpose */
  onDrop?: DropHook;
}

export class Dispatcher {
  private workers: SinkWorker[];
  private outbox: Outbox;
  private timers: (() => void)[] = [];
  private now: () => number;
  private timer: Timer;
  private stopped = false;

  constructor(private o: DispatcherOptions) {
    this.timer = o.timer ?? timerWithClock(o.now ?? Date.now);
    this.now = () => this.timer.now();
    this.outbox = new Outbox(o.db);
    this.workers = o.sinks.map((s) => new SinkWorker(s, this.outbox, o.alerts, o.metrics, o.log.child({ sink: s.name }), this.timer, o.onDrop));
  }

  start(): void {
    const names = new Set(this.o.sinks.map((s) => s.name));
    // rows of sinks no longer configured would never drain: count, log and drop them
    for (const [sink, n] of this.outbox.sinks()) {
      if (names.has(sink)) continue;
      this.outbox.dropSink(sink);
      this.o.metrics.delivery.outboxDropped.inc({ sink, reason: 'sink_removed' }, n);
      this.o.log.warn('outbox: dropped deliveries of a sink that is no longer configured', { sink, dropped: n });
    }
    this.o.alerts.onCommit((u) => {
      const now = this.now();
      if (u.isNew) this.o.metrics.delivery.countAlertWorkload(u.alert.workload.namespace, `${u.alert.workload.kind}/${u.alert.workload.name}`);
      for (const w of this.workers) w.enqueue(u, now);
    });
    this.o.alerts.incidents.onCommit((u) => {
      const now = this.now();
      for (const w of this.workers) w.enqueueIncident(u, now);
    });
    for (const w of this.workers) {
      const pending = this.outbox.depth(w.s.name);
      if (pending > 0) this.o.log.info('outbox: resuming pending deliveries', { sink: w.s.name, pending });
      w.start();
      if (w.s.resend) this.startResend(w, w.s.resend);
    }
    this.updateGauges();
    this.timers.push(this.timer.every(GAUGE_INTERVAL_MS, () => this.updateGauges()));
  }

  private updateGauges(): void {
    const now = this.now();
    try {
      for (const w of this.workers) w.updateGauges(now);
    } catch (e) {
      // e.g. the database closed before stop(): a gauge is not worth a crash
      this.o.log.debug('outbox gauges not updated', { err: String(e) });
    }
  }

  private startResend(w: SinkWorker, r: { intervalMs: number; windowMs: number }): void {
    const firing = this.o.db.prepare('SELECT id, count, severity, namespace, rule FROM alerts WHERE last_seen >= ?');
    const active = this.o.db.prepare('SELECT id, count, body FROM incidents WHERE last_seen >= ?');
    const cancel = this.timer.every(r.intervalMs, () => {
      if (this.stopped) return;
      const now = this.now();
      try {
        this.o.db.transaction(() => {
          if (w.s.deliver === 'incidents') {
            for (const row of active.all(now - r.windowMs) as { id: string; count: number; body: string }[]) {
              const i = JSON.parse(row.body) as Incident;
              if (matchesIncident(w.s, { severity: i.severity, namespace: i.workload.namespace, rules: i.rules })) w.resend(row.id, row.count, now, 'incident');
            }
            return;
          }
          for (const a of firing.all(now - r.windowMs) as { id: string; count: number; severity: Severity; namespace: string | null; rule: string }[]) {
            if (matchesFilter(w.s, a)) w.resend(a.id, a.count, now);
          }
        })();
      } catch (e) {
        this.o.log.error('re-send of firing alerts failed', { sink: w.s.name, err: String(e) });
      }
    });
    this.timers.push(cancel);
  }

  /** resolves when every sink's outbox is empty */
  async drain(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.drained()));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
