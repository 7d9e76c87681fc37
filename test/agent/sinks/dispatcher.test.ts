import assert from 'node:assert/strict';
import sinon from 'sinon';
import { waitFor } from '../../support/env.ts';
import { backoffMs, matchesFilter } from '../../../agent/sinks/dispatcher.ts';
import { Outbox } from '../../../agent/store/outbox.ts';
import { makeAlert, isNew, repeat, startHarness, startReceiver, type Harness, type Receiver } from './helpers.ts';
import { ManualTimer } from '../../support/manual-timer.ts';

interface NativeBody {
  alerts: { idempotencyKey: string; revision: number; update: boolean; alert: { id: string; count: number } }[];
}
const ids = (r: Receiver): string[] => r.requests.flatMap((q) => (q.json as NativeBody).alerts.map((a) => a.alert.id));
const fast = { retry: { initial: 20, max: 100 } };

/**
 * Wait for a condition while running the workers' timers on virtual time: each poll
 * fires the earliest scheduled callback (a backoff, an idle wake-up), so no test waits
 * out a delay in real time. Only real I/O (HTTP round trips, a client timeout) takes time.
 */
async function drive<T>(timer: ManualTimer, cond: () => T | Promise<T>, what: string): Promise<T> {
  return waitFor(
    async () => {
      const v = await cond();
      if (!v) timer.fireNext({ oneShotOnly: true });
      return v;
    },
    { what },
  );
}

describe('delivery dispatcher (outbox worker)', () => {
  let rx: Receiver;
  let rx2: Receiver | undefined;
  let h: Harness | undefined;
  beforeEach(async () => {
    rx = await startReceiver();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await rx.close();
    await rx2?.close();
    rx2 = undefined;
  });

  it('backoff grows from initial to the ceiling, with jitter', () => {
    assert.equal(backoffMs(1, 1000, 30000, () => 1), 1000);
    assert.equal(backoffMs(2, 1000, 30000, () => 1), 2000);
    assert.equal(backoffMs(3, 1000, 30000, () => 0), 2000);
    assert.equal(backoffMs(20, 1000, 30000, () => 1), 30000);
    for (let i = 1; i < 30; i++) {
      const d = backoffMs(i, 1000, 30000);
      assert.ok(d >= 1000 && d <= 30000, String(d));
    }
  });

  it('filters by severity, namespace and rule', () => {
    const a = { severity: 'medium' as const, namespace: 'shop', rule: 'r1' };
    assert.ok(matchesFilter({}, a));
    assert.ok(!matchesFilter({ minSeverity: 'high' }, a));
    assert.ok(matchesFilter({ minSeverity: 'medium' }, a));
    assert.ok(!matchesFilter({ namespaces: ['prod'] }, a));
    assert.ok(matchesFilter({ namespaces: [''] }, { ...a, namespace: null }));
    assert.ok(!matchesFilter({ rules: ['r2'] }, a));
  });

  it('commits the outbox row with the alert and delivers it in order', async () => {
    h = await startHarness([{ type: 'webhook', name: 'siem', url: `${rx.url}/hook`, ...fast }]);
    const alerts = Array.from({ length: 30 }, () => makeAlert());
    for (const a of alerts) h.alerts.commit([isNew(a)]);
    await waitFor(() => ids(rx).length >= 30, { what: '30 alerts delivered' });
    assert.deepEqual(ids(rx), alerts.map((a) => a.id));
    await h.delivery.drain();
    assert.equal(new Outbox(h.db).depth('siem'), 0);
    assert.equal(await h.metric('habitwatch_sink_deliveries_total', { sink: 'siem', outcome: 'delivered' }), 30);
  });

  it('queues nothing when the alert transaction rolls back', async () => {
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, ...fast }]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    // a failure after b's outbox row was written (a later hook throws) rolls back the
    // transaction: nothing of the batch may be queued
    const b = makeAlert();
    const c = makeAlert();
    h.alerts.onCommit((u) => {
      if (u.alert.id === c.id) throw new Error('store failed mid-batch');
    });
    assert.throws(() => h!.alerts.commit([isNew(b), isNew(c)]));
    await h.delivery.drain();
    assert.deepEqual(ids(rx), [a.id]);
  });

  it('retries 5xx, 429 (honouring Retry-After), timeouts and resets; never loses or reorders', async () => {
    const answers = ['reset', { status: 500 }, { status: 429, headers: { 'Retry-After': '0' } }, 'hang', { status: 503 }] as const;
    rx.answer = (_r, i) => (i < answers.length ? answers[i] : { status: 200 });
    const timer = new ManualTimer();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, timeout: 300, batchSize: 2, ...fast }], { timer });
    const alerts = Array.from({ length: 6 }, () => makeAlert());
    for (const a of alerts) h.alerts.commit([isNew(a)]);
    await drive(timer, () => new Set(ids(rx)).size >= 6, 'delivery after failures');
    // a slow 2xx past the 300 ms timeout is redelivered (at least once): compare first arrivals
    assert.deepEqual([...new Set(ids(rx))], alerts.map((a) => a.id));
    assert.ok((await h.metric('habitwatch_sink_deliveries_total', { sink: 'siem', outcome: 'retry' })) >= 5);
    // the waits asked for: five failures, but the 429's Retry-After: 0 is retried at once,
    // so four backoffs, each between retry.initial and retry.max
    const backoffs = timer.requested.filter((ms) => ms < 60_000);
    assert.equal(backoffs.length, 4, `backoffs: ${backoffs.join(', ')}`);
    assert.ok(backoffs.every((ms) => ms >= 20 && ms <= 100), `within [initial, max]: ${backoffs.join(', ')}`);
  });

  it('honours a long Retry-After instead of the backoff', async () => {
    rx.answer = (_r, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '7' } } : { status: 200 });
    const timer = new ManualTimer();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, ...fast }], { timer });
    h.alerts.commit([isNew(makeAlert())]);
    // the worker waits 7 s (not the 20-100 ms backoff) before the retry: no request before that
    await waitFor(() => timer.waiting().includes(7000), { what: 'a 7 s wait scheduled after the 429' });
    assert.equal(rx.requests.length, 0);
    const retryAt = timer.now() + 7000;
    await drive(timer, () => rx.requests.length === 1, 'retry after Retry-After');
    assert.ok(timer.now() >= retryAt, 'retried only once the Retry-After passed');
  });

  it('gives up on other 4xx, says why, and moves on', async () => {
    const logs: string[] = [];
    const log = {
      debug() {},
      info() {},
      warn() {},
      error: (m: string, f?: Record<string, unknown>) => logs.push(`${m} ${JSON.stringify(f)}`),
      child() {
        return log;
      },
    };
    rx.answer = (_r, i) => (i === 0 ? { status: 400, body: 'bad payload: field x' } : { status: 200 });
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, batchSize: 1, ...fast }], { log });
    const [a, b] = [makeAlert(), makeAlert()];
    h.alerts.commit([isNew(a), isNew(b)]);
    await waitFor(() => ids(rx).length === 1);
    assert.deepEqual(ids(rx), [b.id]);
    assert.equal(await h.metric('habitwatch_outbox_dropped_total', { sink: 'siem', reason: 'rejected' }), 1);
    assert.ok(logs.some((l) => /rejected/.test(l) && /HTTP 400/.test(l) && /bad payload/.test(l) && l.includes(a.id)), logs.join('\n'));
  });

  it('a rejected batch is retried one alert at a time, so only the bad alert is dropped', async () => {
    let bad = '';
    rx.answer = (r) => ((r.json as NativeBody).alerts.some((x) => x.alert.id === bad) ? { status: 422, body: 'invalid alert' } : { status: 200 });
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, batchSize: 10, ...fast }]);
    const alerts = Array.from({ length: 5 }, () => makeAlert());
    bad = alerts[2].id;
    h.alerts.commit(alerts.map(isNew));
    await h.delivery.drain();
    assert.deepEqual(ids(rx), alerts.filter((a) => a.id !== bad).map((a) => a.id));
    assert.equal(await h.metric('habitwatch_outbox_dropped_total', { sink: 'siem', reason: 'rejected' }), 1);
    // back to full batches afterwards
    const more = Array.from({ length: 4 }, () => makeAlert());
    h.alerts.commit(more.map(isNew));
    await h.delivery.drain();
    assert.equal(rx.requests.length, 5);
  });

  it('a dead sink does not block another sink, nor the commit', async () => {
    rx.answer = () => 'hang';
    rx2 = await startReceiver();
    h = await startHarness([
      { type: 'webhook', name: 'dead', url: rx.url, timeout: 5000, ...fast },
      { type: 'webhook', name: 'ok', url: rx2.url, ...fast },
    ]);
    // commits are synchronous: they return with the alert and both outbox rows stored,
    // whatever the sinks do (the dead one's first request is still hanging)
    for (let i = 0; i < 50; i++) h.alerts.commit([isNew(makeAlert())]);
    assert.equal(h.alerts.count(), 50);
    await waitFor(() => ids(rx2!).length === 50, { what: 'healthy sink got everything' });
    assert.ok(new Outbox(h.db).depth('dead') === 50);
  });

  it('resumes pending deliveries after a restart (same idempotency keys)', async () => {
    rx.answer = () => ({ status: 503 });
    const timer = new ManualTimer();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, ...fast }], { timer });
    const alerts = Array.from({ length: 5 }, () => makeAlert());
    h.alerts.commit(alerts.map(isNew));
    await drive(timer, async () => (await h!.metric('habitwatch_sink_deliveries_total', { outcome: 'retry' })) > 0, 'a failed attempt');
    await h.restart();
    assert.equal(new Outbox(h.db).depth('siem'), 5);
    rx.answer = () => ({ status: 200 });
    // at least once: a request aborted by the stop may still have reached the receiver
    await drive(timer, () => new Set(ids(rx)).size === 5, 'delivery after restart');
    for (const q of rx.requests) {
      assert.deepEqual((q.json as NativeBody).alerts.map((x) => x.idempotencyKey), alerts.map((a) => a.id));
    }
  });

  it('a failing store does not end the worker: it backs off and delivers once the store answers again', async () => {
    const timer = new ManualTimer();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, ...fast }], { timer });
    let failures = 3;
    const head = sinon.stub(Outbox.prototype, 'head').callsFake(function (this: Outbox, ...args: Parameters<Outbox['head']>) {
      if (failures > 0) {
        failures--;
        throw new Error('database or disk is full');
      }
      return head.wrappedMethod.apply(this, args);
    });
    try {
      const a = makeAlert();
      h.alerts.commit([isNew(a)]);
      await drive(timer, () => ids(rx).length === 1, 'delivery after the store recovered');
      assert.deepEqual(ids(rx), [a.id]);
      assert.equal(await h.metric('habitwatch_outbox_store_errors_total', { sink: 'siem' }), 3);
      const waits = timer.requested.filter((ms) => ms < 60_000);
      assert.deepEqual(waits.length, 3, `backoffs ${waits.join(', ')}`);
    } finally {
      head.restore();
    }
  });

  it('drops rows of sinks no longer configured, counted', async () => {
    rx.answer = () => ({ status: 503 });
    h = await startHarness([{ type: 'webhook', name: 'old', url: rx.url, ...fast }]);
    h.alerts.commit([isNew(makeAlert()), isNew(makeAlert())]);
    await h.restart([{ type: 'webhook', name: 'new', url: rx.url, ...fast }]);
    assert.equal(new Outbox(h.db).depth('old'), 0);
    assert.equal(await h.metric('habitwatch_outbox_dropped_total', { sink: 'old', reason: 'sink_removed' }), 2);
  });

  it('bounds the queue: oldest dropped past maxQueue, old rows expire past maxAge', async () => {
    rx.answer = () => ({ status: 503 });
    let now = Date.now();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, maxQueue: 10, maxAge: '1h', ...fast }], { now: () => now });
    for (let i = 0; i < 25; i++) h.alerts.commit([isNew(makeAlert())]);
    assert.equal(new Outbox(h.db).depth('siem'), 10);
    assert.equal(await h.metric('habitwatch_outbox_dropped_total', { reason: 'overflow' }), 15);
    now += 2 * 3_600_000;
    await h.restart(); // the worker checks age before each attempt
    await waitFor(() => new Outbox(h!.db).depth('siem') === 0, { what: 'expiry' });
    assert.equal(await h.metric('habitwatch_outbox_dropped_total', { reason: 'expired' }), 10);
  });

  it('applies per-sink filters at enqueue time', async () => {
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, minSeverity: 'high', namespaces: ['shop'], ...fast }]);
    const keep = makeAlert();
    h.alerts.commit([isNew(makeAlert({ severity: 'low' })), isNew(makeAlert({ ns: 'other' })), isNew(keep)]);
    await h.delivery.drain();
    assert.deepEqual(ids(rx), [keep.id]);
  });

  it('re-delivers repeats only when sendUpdates is on, with the same idempotency key', async () => {
    rx2 = await startReceiver();
    h = await startHarness([
      { type: 'webhook', name: 'plain', url: rx.url, ...fast },
      { type: 'webhook', name: 'upd', url: rx2.url, sendUpdates: true, ...fast },
    ]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    await h.delivery.drain();
    h.alerts.commit([repeat(a)]);
    await h.delivery.drain();
    assert.equal(ids(rx).length, 1);
    await waitFor(() => ids(rx2!).length === 2);
    const items = rx2.requests.flatMap((q) => (q.json as NativeBody).alerts);
    assert.deepEqual(items.map((x) => x.idempotencyKey), [a.id, a.id]);
    assert.deepEqual(items.map((x) => x.update), [false, true]);
    assert.equal(items[1].alert.count, 2);
  });

  it('coalesces a burst of repeats into one pending update', async () => {
    rx.answer = () => ({ status: 503 });
    h = await startHarness([{ type: 'webhook', name: 'upd', url: rx.url, sendUpdates: true, retry: { initial: 60000 } }]);
    const a = makeAlert();
    h.alerts.commit([isNew(a)]);
    await waitFor(async () => (await h!.metric('habitwatch_sink_deliveries_total', { outcome: 'retry' })) > 0);
    for (let i = 0; i < 100; i++) h.alerts.commit([repeat(a)]);
    const rows = new Outbox(h.db).head('upd', 10);
    assert.equal(rows.length, 2);
    assert.equal(rows[1].revision, 101);
  });

  it('exports outbox depth and oldest age per sink', async () => {
    rx.answer = () => ({ status: 503 });
    const timer = new ManualTimer();
    h = await startHarness([{ type: 'webhook', name: 'siem', url: rx.url, retry: { initial: 60000 } }], { timer });
    h.alerts.commit([isNew(makeAlert()), isNew(makeAlert())]);
    await waitFor(() => timer.waiting().some((ms) => ms >= 30_000), { what: 'the failed attempt backing off' });
    timer.set(timer.now() + 5000);
    timer.advance(1000); // the 1 s gauge interval, on virtual time
    assert.equal(await h.metric('habitwatch_outbox_depth', { sink: 'siem' }), 2);
    assert.equal(await h.metric('habitwatch_outbox_oldest_age_seconds', { sink: 'siem' }), 6);
    assert.equal(await h.metric('habitwatch_alerts_by_workload_total', { namespace: 'shop', workload: 'Deployment/api' }), 2);
  });
});
