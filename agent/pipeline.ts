// The pipeline: sources → enrich → redact → profile/detect → commit alerts → fan out.
// Stages are bounded: sources push into a queue of fixed capacity and wait when it
// is full (backpressure reaches the source, which counts what its kernel buffer
// drops). Alerts are committed per batch — a batch of only repeats of stored alerts,
// with no offset to acknowledge, may wait for the next commit (waiting-repeats.ts);
// baselines are flushed on an interval.
import type { RuntimeEvent } from '../collector/event.ts';
import { BATCH_ACK, type AckableBatch, type EventBatches } from '../collector/sources/types.ts';
import type { Enricher } from '../collector/enrich/index.ts';
import type { Logger } from '../collector/log.ts';
import { redactEvent } from '../collector/redact-event.ts';
import { coalesce, type AlertUpdate } from '../models/alert.ts';
import type { IncidentUpdate } from '../models/incident.ts';
import type { Engine } from '../models/engine.ts';
import type { AlertStore } from './store/alerts.ts';
import type { BaselineStore } from './store/baselines.ts';
import type { Metrics } from './metrics.ts';
import type { Bus } from './bus.ts';
import { BoundedQueue } from './queue.ts';
import { isStorageError, type StoreHealth } from './store/health.ts';
import type { SelfAlerts } from './self-alerts.ts';
import { Backoff } from '../collector/backoff.ts';
import { sleep } from '../collector/sleep.ts';
import { applyMoves, judgeLate, type Late } from './moves.ts';
import { WaitingRepeats, after } from './waiting-repeats.ts';
import { fanOut } from './fan-out.ts';
import { HeldAcks } from './held-acks.ts';
import { BaselineFlusher } from './flusher.ts';

export { BoundedQueue } from './queue.ts';
export { coalesce };

/**
 * a big batch is judged in slices of this many events… (small: an event of a workload
 * not seen before costs up to ~1 ms — its baseline looked up in the store, created,
 * its alerts raised — so 256 of them had held the loop for ~250 ms in a storm)
 */
const SLICE_EVENTS = 8;
/** …and when this much time passed since the event loop last ran other work, or this
 * many alert updates wait for their commit (each costs its rows, their ten indexes and
 * its delivery rows: committing a storm's 10 ms of judging took 20-40 ms more), what the
 * slices raised so far is committed and the loop yields (timers, API, sinks, signals) */
const YIELD_AFTER_MS = 10;
const COMMIT_AFTER_UPDATES = 32;
/**
 * events waiting between the sources and detection: enough to absorb a burst (a second
 * of a busy node), not so many that a storm's backlog fills the memory (~1 KiB each)
 */
const QUEUE_CAPACITY = 16_384;
/** a commit that fails for another reason than the storage is tried this often, then dropped (counted) */
const NON_STORAGE_ATTEMPTS = 3;

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
  /** storage health: failed commits and flushes report here (readiness, self-alert) */
  health?: StoreHealth;
  /** the agent's self-alerts, committed from the periodic tick once the store answers */
  selfAlerts?: SelfAlerts;
  /** backoff of a commit the storage refused (default 100 ms → 5 s) */
  commitRetry?: { initialMs: number; maxMs: number };
  /** this node's name (events rebuilt from moved items default to it) */
  node?: string;
  /**
   * Whether the store can be read now. Judging reads it (a workload's baseline is loaded
   * on its first event), so no slice is judged while it cannot be (the database file
   * being restored): half a judged slice could neither be committed nor be read again.
   */
  storeUsable?: () => boolean;
  /** the agent's own events (collector/enrich/self.ts): left out once enriched — never learned, judged or streamed */
  isOwn?: (ev: RuntimeEvent) => boolean;
  /** items the cluster's baseline brought that a local enforcing baseline did not take: judged here */
  late?: () => Late[];
}

export class Pipeline {
  events = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** alerts of moved baselines whose commit failed: tried again next tick */
  private unstoredMoves: AlertUpdate[] = [];
  private unstoredIncidents: IncidentUpdate[] = [];
  /** repeats judged live and not committed yet: the next commit takes them first */
  private readonly waiting = new WaitingRepeats();

  private readonly flusher: BaselineFlusher;

  constructor(private deps: PipelineDeps) {
    this.flusher = new BaselineFlusher({ ...deps, yieldLoop: () => this.yieldLoop() });
  }

  /**
   * Enrich, redact and judge one batch. Synchronous: the hot path has no awaits.
   * Events the enricher holds back (their pod not yet known) leave the batch — into
   * `held` when given — and come back later, enriched, through its sink (`enriched`).
   */
  processBatch(batch: RuntimeEvent[], enriched = false, held?: RuntimeEvent[]): AlertUpdate[] {
    const { engine, enricher } = this.deps;
    const out: AlertUpdate[] = [];
    this.applyMoves(out);
    // enrich first: it may add ancestors (with their argv) from the process cache,
    // and those must be redacted too before anything judges, stores or sends them
    if (!enriched) enricher.enrich(batch, held);
    if (this.deps.isOwn !== undefined) this.leaveOutOwn(batch, this.deps.isOwn);
    for (let i = 0; i < batch.length; i++) redactEvent(batch[i]);
    for (let i = 0; i < batch.length; i++) engine.process(batch[i], batch[i].time, out);
    this.events += batch.length;
    return out;
  }

  /** removes the agent's own events from the batch, in place, and counts them */
  private leaveOutOwn(batch: RuntimeEvent[], isOwn: (ev: RuntimeEvent) => boolean): void {
    let j = 0;
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i];
      if (isOwn(ev)) this.deps.metrics?.ownEvents.inc({ source: ev.source });
      else batch[j++] = ev;
    }
    batch.length = j;
  }

  /** provisional identities the API has named since: their baselines move (agent/moves.ts) */
  private applyMoves(out: AlertUpdate[]): void {
    const late = this.deps.late?.();
    if (late !== undefined && late.length > 0) judgeLate(late, this.deps.engine, this.deps.node ?? '', this.deps.now(), out);
    const moves = this.deps.enricher.moves();
    if (moves.length === 0) return;
    const r = applyMoves(moves, this.deps.engine, this.deps.node ?? '', this.deps.now(), out);
    if (r.moved > 0) this.deps.log.info('provisional identities named by the API: baselines moved', { moved: r.moved, unconfirmedItems: r.unconfirmed });
  }

  /** Judge a batch and commit what it raised, once (replay; the live loop retries: run()). */
  handle(batch: RuntimeEvent[], acceptedAt = performance.now(), enriched = false): AlertUpdate[] {
    const updates = this.processBatch(batch, enriched);
    if (batch.length > 0 && this.deps.bus?.wantsEvents()) this.deps.bus.emit('events', batch);
    this.commitWaiting(); // repeats judged before these (live: events released from a hold)
    const merged = coalesce(updates);
    const incidents = this.deps.engine.incidents?.drain() ?? [];
    this.commitOnce(merged, incidents, (batch as AckableBatch)[BATCH_ACK]);
    fanOut(this.deps, merged, incidents, acceptedAt);
    return merged;
  }

  /** alerts, the incidents they made and the batch's acknowledgement (its source offset) in one transaction */
  private commitOnce(merged: AlertUpdate[], incidents: readonly IncidentUpdate[], ack: (() => void) | undefined): void {
    if (this.deps.alerts) this.deps.alerts.commit(merged, incidents, ack);
    else ack?.();
  }

  /**
   * Commit until it works: a storage failure (disk full, read-only, I/O error, a
   * missing database) is retried with backoff — the batch's offset does not move, the
   * source waits (backpressure), the agent is not ready — and resumes by itself when
   * the storage does. False when stopped first (nothing acknowledged: re-read on start).
   */
  private async commitDurably(merged: AlertUpdate[], incidents: readonly IncidentUpdate[], ack: (() => void) | undefined, signal: AbortSignal): Promise<boolean> {
    if (merged.length === 0 && incidents.length === 0 && ack === undefined) return true;
    const r = this.deps.commitRetry ?? { initialMs: 100, maxMs: 5000 };
    const backoff = new Backoff({ initialMs: r.initialMs, maxMs: r.maxMs });
    let other = 0;
    for (;;) {
      try {
        this.commitOnce(merged, incidents, ack);
        this.deps.health?.ok('commit');
        return true;
      } catch (e) {
        if (!isStorageError(e) && ++other >= NON_STORAGE_ATTEMPTS) throw e;
        this.deps.health?.failed('commit', e);
        await sleep(backoff.next(), signal);
        if (signal.aborted) return false;
      }
    }
  }

  /** waits (backing off) while the store cannot be read; false when stopped meanwhile */
  private async storeUsableAgain(signal: AbortSignal): Promise<boolean> {
    const usable = this.deps.storeUsable;
    if (usable === undefined || usable()) return true;
    const r = this.deps.commitRetry ?? { initialMs: 100, maxMs: 5000 };
    const backoff = new Backoff({ initialMs: r.initialMs, maxMs: r.maxMs });
    while (!usable()) {
      await sleep(backoff.next(), signal);
      if (signal.aborted) return false;
    }
    this.lastYield = performance.now();
    return true;
  }

  /**
   * The live path of one batch: judged in slices; past YIELD_AFTER_MS of work, what it
   * raised so far is committed and the event loop yields, so a batch that raises
   * thousands of alerts never blocks the API, the sinks or a SIGTERM. The batch's ack
   * (its source offset) is committed with its last slice, after everything it raised.
   */
  private async judge(batch: RuntimeEvent[], acceptedAt: number, signal: AbortSignal, enriched = false): Promise<boolean> {
    let ack = (batch as AckableBatch)[BATCH_ACK];
    const held: RuntimeEvent[] | undefined = ack !== undefined ? [] : undefined;
    let raised: AlertUpdate[] = [];
    for (let i = 0; i < batch.length; i += SLICE_EVENTS) {
      if (!(await this.storeUsableAgain(signal))) return false;
      const part = batch.length <= SLICE_EVENTS ? batch : batch.slice(i, i + SLICE_EVENTS);
      for (const u of this.processBatch(part, enriched, held)) raised.push(u);
      if (this.deps.bus?.wantsEvents()) this.deps.bus.emit('events', part);
      if (i + SLICE_EVENTS < batch.length && (raised.length >= COMMIT_AFTER_UPDATES || performance.now() - this.lastYield > YIELD_AFTER_MS)) {
        if (!(await this.commitWith(coalesce(raised), this.deps.engine.incidents?.drain() ?? [], undefined, acceptedAt, signal))) return false;
        raised = [];
        await this.yieldLoop();
        if (signal.aborted) return false;
      }
    }
    // events held back are not judged yet: the offset waits for them (and keeps its order)
    if (ack !== undefined && (held!.length > 0 || this.heldAcks.pending)) {
      this.heldAcks.hold(ack, held!);
      ack = undefined;
    }
    return this.commitWith(coalesce(raised), this.deps.engine.incidents?.drain() ?? [], ack, acceptedAt, signal);
  }

  /** only repeats: they wait (waiting-repeats.ts); else commit what waited, then these updates and the ack, durably, and fan out */
  private async commitWith(merged: AlertUpdate[], incidents: readonly IncidentUpdate[], ack: (() => void) | undefined, acceptedAt: number, signal: AbortSignal): Promise<boolean> {
    if (this.waiting.hold(merged, incidents, ack !== undefined, performance.now(), acceptedAt)) return true;
    const w = this.waiting.take();
    const all = after(w, merged, incidents);
    if (!(await this.commitDurably(all.updates, all.incidents, ack, signal))) {
      // stopped: what waited is committed by stop() (this batch's own outcome, as before, is not)
      if (w !== undefined) this.waiting.giveBack(w, performance.now());
      return false;
    }
    fanOut(this.deps, all.updates, all.incidents, w?.acceptedAt ?? acceptedAt);
    return true;
  }

  private heldAcks = new HeldAcks();
  private queue: BoundedQueue<{ batch: RuntimeEvent[]; at: number; released?: true }> | undefined;

  /** Held events came back (enriched): while the live loop runs they join its queue (bounded by the enricher), else (stopping) committed here. */
  private released(events: RuntimeEvent[]): void {
    if (this.queue?.pushNow({ batch: events, at: performance.now(), released: true }, events.length) === true) return;
    const entries = this.heldAcks.entriesOf(events);
    try {
      this.handle(events, performance.now(), true);
      this.heldAcks.settle(entries);
      for (let ack = this.heldAcks.next(); ack !== undefined; ack = this.heldAcks.next()) {
        this.commitOnce([], [], ack);
        this.heldAcks.done();
      }
    } catch (e) {
      if (isStorageError(e)) this.deps.health?.failed('commit', e);
      this.deps.log.error('held events not stored at stop: read again on start', { err: String(e), events: events.length });
    }
  }

  /** released events, judged and committed in the live loop; then the offsets they held up, in order */
  private async judgeReleased(events: RuntimeEvent[], acceptedAt: number, signal: AbortSignal): Promise<void> {
    const entries = this.heldAcks.entriesOf(events);
    if (!(await this.judge(events, acceptedAt, signal, true))) return;
    this.heldAcks.settle(entries);
    for (let ack = this.heldAcks.next(); ack !== undefined; ack = this.heldAcks.next()) {
      // with the repeats waiting before it (waiting-repeats.ts): an offset moves only past what is stored
      if (!(await this.commitWith([], [], ack, acceptedAt, signal))) return;
      this.heldAcks.done();
    }
  }

  private lastYield = performance.now();

  /** let timers, sockets and signals run (a resolved promise would not) */
  private async yieldLoop(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.lastYield = performance.now();
  }

  /** repeats still waiting (the load stopped): committed by the periodic tick, and at stop */
  private commitWaiting(): void {
    const w = this.waiting.take();
    if (w === undefined) return;
    try {
      this.commitOnce(w.updates, w.incidents, undefined);
      this.deps.health?.ok('commit');
    } catch (e) {
      this.waiting.giveBack(w, performance.now());
      this.deps.health?.failed('commit', e);
      return;
    }
    fanOut(this.deps, w.updates, w.incidents, w.acceptedAt);
  }

  /** Persist changed baselines now. */
  flush(): void {
    this.flusher.flushAll();
  }

  /**
   * Periodic work: learning-state ticks, baseline flush, waiting self-alerts (gauges are
   * read when scraped: metrics.ts). The interval's flush is written in slices (flusher.ts).
   */
  periodic(inSlices = false): void {
    const now = this.deps.now();
    const moved: AlertUpdate[] = this.unstoredMoves;
    this.applyMoves(moved);
    if (moved.length > 0) {
      const merged = coalesce(moved);
      const incidents = [...this.unstoredIncidents, ...(this.deps.engine.incidents?.drain() ?? [])];
      try {
        this.commitOnce(merged, incidents, undefined);
        this.unstoredMoves = [];
        this.unstoredIncidents = [];
        fanOut(this.deps, merged, incidents, performance.now());
      } catch (e) {
        // kept for the next tick: alerts are never dropped because the store failed once
        this.unstoredMoves = merged;
        this.unstoredIncidents = incidents;
        this.deps.health?.failed('commit', e);
      }
    }
    this.commitWaiting();
    this.deps.engine.profiler.tickAll(now);
    if (inSlices) void this.flusher.flushInSlices();
    else this.flusher.flushAndEvict();
    this.deps.selfAlerts?.tick();
  }

  /** Run live sources until they end or the signal aborts. */
  async run(inputs: { name: string; batches: EventBatches }[], signal: AbortSignal): Promise<void> {
    const interval = this.deps.flushIntervalMs ?? 500;
    // events the enricher held back (their pod not yet known) come back through here
    this.deps.enricher.setSink((events) => this.released(events));
    this.flushTimer = setInterval(() => this.periodic(true), interval);
    this.flushTimer.unref();
    const queue = new BoundedQueue<{ batch: RuntimeEvent[]; at: number; released?: true }>(this.deps.queueCapacity ?? QUEUE_CAPACITY);
    this.queue = queue;
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
    try {
      for (;;) {
        // a full queue resolves pop() at once: without an occasional macrotask yield
        // the detect loop would starve timers and sockets (API, sinks, stream) for as
        // long as the backlog lasts
        if (performance.now() - this.lastYield > YIELD_AFTER_MS) await this.yieldLoop();
        const item = await queue.pop();
        // stopping: what is still queued was not acknowledged, so it is read again on start
        if (item === undefined || signal.aborted) break;
        gauge?.set({ stage: 'detect' }, queue.size);
        try {
          if (item.released) await this.judgeReleased(item.batch, item.at, signal);
          else await this.judge(item.batch, item.at, signal);
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
    // nothing held back is lost at shutdown: judged with what is known now
    this.deps.enricher.flush();
    this.periodic();
  }
}
