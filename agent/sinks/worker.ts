// One sink's delivery loop (the Dispatcher runs one per sink): strict seq order, batches,
// exponential backoff with jitter, Retry-After, bounded queue and age, and resumption of
// pending rows after a restart. A slow or dead sink only ever delays itself.
import { severityRank, type AlertUpdate, type Alert, type Severity } from '../../models/alert.ts';
import type { Incident, IncidentUpdate } from '../../models/incident.ts';
import type { AlertStore } from '../store/alerts.ts';
import type { Outbox, OutboxRow, OutboxSubject } from '../store/outbox.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../../collector/log.ts';
import { DeliveryError, type DeliverWhat, type Delivery, type IncidentDelivery, type SinkInstance } from './types.ts';
import { backoffMs } from '../../collector/backoff.ts';
import type { Timer } from '../timer.ts';
import { matchesFilter, matchesIncident } from './filter.ts';

/** a configured sink with its settings resolved to numbers */
export interface ResolvedSink {
  name: string;
  type: string;
  instance: SinkInstance;
  minSeverity?: Severity;
  namespaces?: string[];
  rules?: string[];
  batchSize: number;
  timeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxQueue: number;
  maxAgeMs: number;
  wantsUpdates: boolean;
  resend?: { intervalMs: number; windowMs: number };
  /** alerts, or incidents (the alerts of one attack, grouped) */
  deliver: DeliverWhat;
}

/** deliveries dropped on purpose to stay within bounds (maxQueue, maxAge): the agent announces them */
export type DropHook = (sink: string, reason: 'overflow' | 'expired', n: number) => void;

/** Retry-After is honoured up to this long; a longer one is taken as this */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** an idle worker looks at its outbox at least this often (new rows wake it sooner) */
const IDLE_MS = 60_000;
/** backoff after the store itself failed (disk full, read-only, I/O error) */
const STORE_RETRY_INITIAL_MS = 100;
const STORE_RETRY_MAX_MS = 5_000;

export class SinkWorker {
  private depth = 0;
  private inflightMaxSeq = 0;
  private failing = 0;
  private backingOff = false;
  private wakeFn: (() => void) | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private idle: (() => void)[] = [];
  private lastOverflowLog = 0;
  /** after a rejected batch, send this many rows one by one so one bad alert does not sink its neighbours */
  private isolate = 0;
  /** consecutive failures of the store (not of the sink) */
  private storeFailing = 0;
  private readonly now: () => number;

  constructor(
    readonly s: ResolvedSink,
    private outbox: Outbox,
    private alerts: AlertStore,
    private metrics: Metrics,
    private log: Logger,
    private timer: Timer,
    private onDrop?: DropHook,
  ) {
    this.now = () => timer.now();
    try {
      this.depth = outbox.depth(s.name);
    } catch {
      this.depth = 0; // the store is failing: the gauges resync once it answers
    }
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake(true);
    await this.loop;
    for (const f of this.idle.splice(0)) f();
    this.s.instance.close?.();
  }

  /** resolves once this sink's outbox is empty (or the worker stopped) */
  drained(): Promise<void> {
    if (this.stopped || this.depthOrUnknown() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** called inside the alert commit transaction: keep it cheap and never async */
  enqueue(u: AlertUpdate, now: number): void {
    if (this.s.deliver !== 'alerts') return;
    const a = u.alert;
    if (!matchesFilter(this.s, { severity: a.severity, namespace: a.workload.namespace, rule: a.rule })) return;
    if (!u.isNew) {
      if (!this.s.wantsUpdates) return;
      if (this.outbox.coalesce(this.s.name, a.id, a.count, this.inflightMaxSeq)) return;
    }
    this.add(a.id, a.count, !u.isNew, now);
  }

  /**
   * Incidents page on opening and on escalation (every sink); growth and repeats are
   * updates (sinks that want them). An escalation past the sink's minSeverity is the
   * first this sink hears of the incident: a new delivery, not an update.
   */
  enqueueIncident(u: IncidentUpdate, now: number): void {
    if (this.s.deliver !== 'incidents') return;
    const i = u.incident;
    if (!matchesIncident(this.s, { severity: i.severity, namespace: i.workload.namespace, rules: i.rules })) return;
    const firstForSink = u.isNew || (u.change === 'escalated' && u.previous !== undefined && this.s.minSeverity !== undefined && severityRank(u.previous) < severityRank(this.s.minSeverity));
    if (!firstForSink) {
      if (u.change !== 'escalated' && !this.s.wantsUpdates) return;
      if (this.outbox.coalesce(this.s.name, i.id, i.count, this.inflightMaxSeq)) return;
    }
    this.add(i.id, i.count, !firstForSink, now, 'incident');
  }

  /** re-send of a still-firing alert (or incident), unless one is already queued */
  resend(id: string, count: number, now: number, subject: OutboxSubject = 'alert'): void {
    if (this.outbox.hasPending(this.s.name, id)) return;
    this.add(id, count, true, now, subject);
  }

  private add(id: string, revision: number, update: boolean, now: number, subject: OutboxSubject = 'alert'): void {
    this.outbox.enqueue(this.s.name, id, revision, update, now, subject);
    this.depth++;
    this.metrics.delivery.outboxEnqueued.inc({ sink: this.s.name });
    if (this.depth > this.s.maxQueue) {
      const dropped = this.outbox.dropOldest(this.s.name, this.depth - this.s.maxQueue);
      this.depth -= dropped.length;
      this.metrics.delivery.outboxDropped.inc({ sink: this.s.name, reason: 'overflow' }, dropped.length);
      this.onDrop?.(this.s.name, 'overflow', dropped.length);
      if (now - this.lastOverflowLog > 10_000) {
        this.lastOverflowLog = now;
        this.log.warn('outbox full: dropped oldest deliveries', { sink: this.s.name, maxQueue: this.s.maxQueue, dropped: dropped.length, alerts: dropped.slice(0, 10) });
      }
    }
    this.wake(false);
  }

  private depthOrUnknown(): number {
    try {
      return this.outbox.depth(this.s.name);
    } catch {
      return -1;
    }
  }

  updateGauges(now: number): void {
    // resync: a rolled-back commit may have counted rows that never landed
    this.depth = this.outbox.depth(this.s.name);
    const oldest = this.outbox.oldest(this.s.name);
    this.metrics.delivery.outboxDepth.set({ sink: this.s.name }, this.depth);
    this.metrics.delivery.outboxOldestAge.set({ sink: this.s.name }, oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000));
  }

  private wake(force: boolean): void {
    // during a backoff new rows must not cut the wait short
    if (this.backingOff && !force) return;
    const f = this.wakeFn;
    this.wakeFn = undefined;
    f?.();
  }

  /** sleep until ms pass (on the injected timer) or wake() cuts it short */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.timer.after(ms, () => {
        this.wakeFn = undefined;
        resolve();
      });
      this.wakeFn = () => {
        cancel();
        resolve();
      };
    });
  }

  /**
   * Never ends but by stop(): a failing store (disk full, read-only, I/O error) is
   * retried with backoff — its rows are still queued, nothing is lost — and the worker
   * carries on by itself once the store answers again.
   */
  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
        if (this.storeFailing > 0) {
          this.log.info('outbox store usable again, delivering', { sink: this.s.name, failedAttempts: this.storeFailing });
          this.storeFailing = 0;
        }
      } catch (e) {
        if (this.stopped) return;
        this.storeFailing++;
        this.metrics.delivery.storeErrors.inc({ sink: this.s.name });
        const delay = backoffMs(this.storeFailing, STORE_RETRY_INITIAL_MS, STORE_RETRY_MAX_MS);
        if (this.storeFailing === 1 || this.storeFailing % 10 === 0) {
          this.log.error('outbox store failed; rows stay queued, retrying', { sink: this.s.name, err: String(e), attempt: this.storeFailing, retryInMs: delay });
        }
        this.backingOff = true;
        await this.sleep(delay);
        this.backingOff = false;
      }
    }
  }

  private async step(): Promise<void> {
    const now = this.now();
    this.expire(now);
    const rows = this.outbox.head(this.s.name, this.isolate > 0 ? 1 : this.s.batchSize);
    if (rows.length === 0) {
      for (const f of this.idle.splice(0)) f();
      await this.sleep(IDLE_MS);
      return;
    }
    const wait = rows[0].nextAttemptAt - now;
    if (wait > 0) {
      this.backingOff = true;
      await this.sleep(wait);
      this.backingOff = false;
      return;
    }
    await this.deliver(rows);
  }

  private expire(now: number): void {
    const cutoff = now - this.s.maxAgeMs;
    // the head is the oldest row: one indexed lookup instead of a scan on every loop
    const oldest = this.outbox.oldest(this.s.name);
    if (oldest === undefined || oldest >= cutoff) return;
    const gone = this.outbox.expire(this.s.name, cutoff);
    if (gone.length === 0) return;
    this.depth -= gone.length;
    this.metrics.delivery.outboxDropped.inc({ sink: this.s.name, reason: 'expired' }, gone.length);
    this.onDrop?.(this.s.name, 'expired', gone.length);
    this.log.warn('outbox: dropped deliveries older than maxAge', { sink: this.s.name, maxAgeMs: this.s.maxAgeMs, dropped: gone.length, alerts: gone.slice(0, 10) });
  }

  /** the stored subjects of rows (rows of one subject: the head's), and how to send them */
  private load(rows: OutboxRow[]): { sent: OutboxRow[]; missing: number[]; send: (signal: AbortSignal) => Promise<void> } {
    const subject = rows[0].subject;
    const end = rows.findIndex((r) => r.subject !== subject);
    const same = end < 0 ? rows : rows.slice(0, end);
    const sent: OutboxRow[] = [];
    const missing: number[] = [];
    if (subject === 'incident') {
      const batch: IncidentDelivery[] = [];
      for (const r of same) {
        const incident: Incident | undefined = this.sendsIncidents() ? this.alerts.incidents.get(r.alertId) : undefined;
        if (!incident) {
          missing.push(r.seq);
          continue;
        }
        batch.push({ incident, idempotencyKey: incident.id, revision: Math.max(r.revision, incident.count), update: r.update });
        sent.push(r);
      }
      return { sent, missing, send: (signal) => this.s.instance.sendIncidents!(batch, signal) };
    }
    const batch: Delivery[] = [];
    for (const r of same) {
      const alert: Alert | undefined = this.alerts.get(r.alertId);
      if (!alert) {
        missing.push(r.seq);
        continue;
      }
      batch.push({ alert, idempotencyKey: alert.id, revision: Math.max(r.revision, alert.count), update: r.update });
      sent.push(r);
    }
    return { sent, missing, send: (signal) => this.s.instance.send(batch, signal) };
  }

  private sendsIncidents(): boolean {
    return this.s.instance.sendIncidents !== undefined;
  }

  private async deliver(rows: OutboxRow[]): Promise<void> {
    const name = this.s.name;
    const { sent, missing, send } = this.load(rows);
    if (missing.length > 0) {
      this.outbox.remove(missing);
      this.depth -= missing.length;
      this.metrics.delivery.outboxDropped.inc({ sink: name, reason: 'alert_missing' }, missing.length);
      this.log.warn('outbox: alert or incident no longer stored, delivery dropped', { sink: name, dropped: missing.length });
    }
    const batch = sent;
    if (batch.length === 0) return;
    const seqs = sent.map((r) => r.seq);
    this.inflightMaxSeq = seqs[seqs.length - 1];
    const endTimer = this.metrics.delivery.requestDuration.startTimer({ sink: name });
    try {
      await send(this.abort.signal);
      endTimer();
      if (this.isolate > 0) this.isolate--;
      const now = this.now();
      this.outbox.remove(seqs);
      this.depth -= seqs.length;
      this.metrics.delivery.deliveries.inc({ sink: name, outcome: 'delivered' }, batch.length);
      for (const r of sent) this.metrics.delivery.deliveryLatency.observe({ sink: name }, Math.max(0, now - r.enqueuedAt) / 1000);
      if (this.failing > 0) this.log.info('sink recovered', { sink: name, failedAttempts: this.failing });
      this.failing = 0;
    } catch (e) {
      endTimer();
      if (this.stopped) return; // rows stay queued; the next start delivers them
      const err = e instanceof DeliveryError ? e : new DeliveryError('error', String(e), true);
      const now = this.now();
      if (err.retryable) {
        this.failing++;
        const attempt = sent[0].attempts + 1;
        let delay = backoffMs(attempt, this.s.retryInitialMs, this.s.retryMaxMs);
        if (err.retryAfterMs !== undefined) delay = Math.min(Math.max(err.retryAfterMs, 0), MAX_RETRY_AFTER_MS);
        this.outbox.defer(seqs, now + delay, `${err.reason}: ${err.message}`);
        this.metrics.delivery.deliveries.inc({ sink: name, outcome: 'retry' }, batch.length);
        // the first failure and then every 10th, so an outage does not flood the log
        if (this.failing === 1 || this.failing % 10 === 0) {
          this.log.warn('delivery failed, will retry', { sink: name, reason: err.reason, error: err.message, attempt, retryInMs: delay, alerts: batch.length });
        }
      } else if (batch.length > 1) {
        // which alert did the receiver refuse? retry the batch one alert at a time
        this.isolate = batch.length;
        this.metrics.delivery.deliveries.inc({ sink: name, outcome: 'retry' }, batch.length);
        this.log.warn('batch rejected by sink; retrying its alerts one by one', { sink: name, reason: err.reason, error: err.message, alerts: batch.length });
      } else {
        if (this.isolate > 0) this.isolate--;
        this.outbox.remove(seqs);
        this.depth -= seqs.length;
        this.metrics.delivery.deliveries.inc({ sink: name, outcome: 'rejected' }, batch.length);
        this.metrics.delivery.outboxDropped.inc({ sink: name, reason: 'rejected' }, batch.length);
        this.log.error('delivery rejected by sink, giving up', {
          sink: name,
          reason: err.reason,
          error: err.message,
          alerts: batch.map((r) => r.alertId).slice(0, 10),
        });
      }
    } finally {
      this.inflightMaxSeq = 0;
    }
  }
}
