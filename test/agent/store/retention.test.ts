// Retention (age and count, incremental, oldest first) and baselines read on demand
// (never all at start; bounded in memory; forgotten ones read again with what they learned).
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../../agent/store/db.ts';
import { AlertStore } from '../../../agent/store/alerts.ts';
import { AuditStore } from '../../../agent/store/audit.ts';
import { BaselineStore } from '../../../agent/store/baselines.ts';
import { Retention, DEFAULT_RETENTION, type RetentionConfig } from '../../../agent/store/retention.ts';
import { SelfAlerts } from '../../../agent/self-alerts.ts';
import { createMetrics } from '../../../agent/metrics.ts';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { silentLogger } from '../../../collector/log.ts';
import { ManualTimer } from '../../support/manual-timer.ts';
import { isNew, makeAlert } from '../sinks/helpers.ts';
import { exec, testLearning, T0 } from '../../support/events.ts';

const DAY = 86_400_000;
const count = (db: Db, sql: string): number => (db.prepare(sql).get() as { n: number }).n;

describe('store: retention', () => {
  let db: Db;
  let timer: ManualTimer;
  beforeEach(() => {
    db = openDatabase(':memory:');
    timer = new ManualTimer(T0 + 100 * DAY);
  });
  afterEach(() => db.close());

  function retention(cfg: Partial<RetentionConfig>, o: { release?: (k: string) => boolean; self?: SelfAlerts } = {}) {
    const metrics = createMetrics({ defaultMetrics: false });
    const r = new Retention({ db, cfg: { ...DEFAULT_RETENTION, ...cfg }, release: o.release ?? (() => true), timer, metrics, self: o.self });
    return { r, metrics };
  }

  /** run steps as the agent does until nothing is left to do; returns the rows deleted by each */
  function drain(r: Retention): number[] {
    const per: number[] = [];
    let before = count(db, 'SELECT count(*) AS n FROM alerts') + count(db, 'SELECT count(*) AS n FROM audit_trail') + count(db, 'SELECT count(*) AS n FROM baselines');
    for (let i = 0; i < 100; i++) {
      const more = r.step();
      const after = count(db, 'SELECT count(*) AS n FROM alerts') + count(db, 'SELECT count(*) AS n FROM audit_trail') + count(db, 'SELECT count(*) AS n FROM baselines');
      per.push(before - after);
      before = after;
      if (!more) break;
    }
    return per;
  }

  it('prunes alerts past maxAge incrementally (a bounded batch per step), oldest first', () => {
    let storedAt = T0;
    const alerts = new AlertStore(db, () => storedAt);
    const old = new Date(T0).toISOString();
    for (let i = 0; i < 1200; i++) alerts.commit([isNew(makeAlert({ time: old, lastSeen: old }))]);
    storedAt = timer.now();
    const fresh = makeAlert({ time: new Date(timer.now()).toISOString(), lastSeen: new Date(timer.now()).toISOString() });
    alerts.commit([isNew(fresh)]);
    const { r, metrics } = retention({ alerts: { maxAgeMs: 30 * DAY, maxCount: 1_000_000 } });
    const steps = drain(r);
    assert.deepEqual(steps, [500, 500, 200]);
    assert.deepEqual((db.prepare('SELECT id FROM alerts').all() as { id: string }[]).map((x) => x.id), [fresh.id]);
    assert.equal(alerts.count(), 1, 'the trigger-kept count follows');
    return metrics.registry.getSingleMetricAsString('habitwatch_retention_deleted_total').then((m) => assert.match(m, /table="alerts",reason="age"\} 1200/));
  });

  it('ages an alert from when it was stored, not from its events: an old capture read today is kept', () => {
    const alerts = new AlertStore(db, () => timer.now());
    const old = new Date(T0).toISOString();
    const replayed = makeAlert({ time: old, lastSeen: old });
    alerts.commit([isNew(replayed)]);
    const { r } = retention({ alerts: { maxAgeMs: 30 * DAY, maxCount: 1_000_000 } });
    drain(r);
    assert.deepEqual((db.prepare('SELECT id FROM alerts').all() as { id: string }[]).map((x) => x.id), [replayed.id]);
    timer.advance(31 * DAY);
    drain(r);
    assert.equal(alerts.count(), 0, 'pruned maxAge after it was stored');
  });

  it('keeps at most maxCount alerts (the most recently seen) and announces the ones dropped before their age', () => {
    const alerts = new AlertStore(db);
    for (let i = 0; i < 300; i++) {
      const t = new Date(timer.now() - (300 - i) * 1000).toISOString();
      alerts.commit([isNew(makeAlert({ time: t, lastSeen: t, dedupKey: `k${i}` }))]);
    }
    const raised: string[] = [];
    const self = new SelfAlerts({ who: { node: 'n', pid: 1, ppid: null, exe: 'node', uid: 0, cwd: '/' }, now: () => timer.now(), cooldownMs: 1, log: silentLogger, commit: (u) => void raised.push(...u.map((x) => x.alert.evidence.detail!)) });
    const { r } = retention({ alerts: { maxAgeMs: 30 * DAY, maxCount: 100 } }, { self });
    drain(r);
    self.tick();
    assert.equal(alerts.count(), 100);
    const kept = (db.prepare('SELECT dedup_key AS k FROM alerts ORDER BY last_seen').all() as { k: string }[]).map((x) => x.k);
    assert.deepEqual(kept, Array.from({ length: 100 }, (_, i) => `k${200 + i}`));
    assert.deepEqual(raised, ['alerts pruned by store.retention.alerts.maxCount before their maxAge: 200']);
  });

  it('audit rows by age and by count', () => {
    const audit = new AuditStore(db);
    const actor = { name: 'soc', via: 'token', remote: null } as unknown as Parameters<AuditStore['append']>[0];
    for (let i = 0; i < 50; i++) audit.append(actor, 'approve', { workload: 'w', baseline: null }, null, T0);
    for (let i = 0; i < 700; i++) audit.append(actor, 'approve', { workload: 'w', baseline: null }, null, timer.now());
    const { r } = retention({ audit: { maxAgeMs: 30 * DAY, maxCount: 600 } });
    drain(r);
    assert.equal(count(db, 'SELECT count(*) AS n FROM audit_trail'), 600);
    assert.equal(count(db, `SELECT count(*) AS n FROM audit_trail WHERE time = ${T0}`), 0);
  });

  it('idle baselines go with their items and versions; locked ones and ones in use stay', () => {
    const store = new BaselineStore(db);
    const p = new Profiler(testLearning());
    for (const w of ['idle', 'locked', 'busy', 'fresh']) p.observe(exec('/usr/bin/x', { workload: `ns/Deployment/${w}` }), T0);
    p.get('ns/Deployment/locked#app')!.meta.state = 'locked';
    store.flush(p.baselines.values(), T0);
    store.flush([p.get('ns/Deployment/fresh#app')!], timer.now());
    db.prepare("UPDATE baselines SET last_active = ? WHERE key = 'ns/Deployment/fresh#app'").run(timer.now());
    const { r } = retention({ baselines: { maxAgeMs: 30 * DAY, maxCount: 100_000 } }, { release: (k) => k !== 'ns/Deployment/busy#app' });
    drain(r);
    const left = (db.prepare('SELECT key FROM baselines ORDER BY key').all() as { key: string }[]).map((x) => x.key);
    assert.deepEqual(left, ['ns/Deployment/busy#app', 'ns/Deployment/fresh#app', 'ns/Deployment/locked#app']);
    assert.equal(count(db, "SELECT count(*) AS n FROM baseline_items WHERE baseline_key = 'ns/Deployment/idle#app'"), 0);
    assert.equal(store.count(), 3);
  });
});

describe('baselines read on demand', () => {
  let db: Db;
  beforeEach(() => (db = openDatabase(':memory:')));
  afterEach(() => db.close());

  it('a workload\'s stored baseline is read when its first event arrives, not before; beyond the cap saved ones leave memory and come back intact', () => {
    const store = new BaselineStore(db);
    const learn = new Profiler(testLearning());
    for (let i = 0; i < 50; i++) learn.observe(exec(`/usr/bin/tool${i % 5}`, { workload: `ns/Deployment/w${i % 10}` }), T0 + i);
    store.flush(learn.baselines.values(), T0);

    const p = new Profiler(testLearning(), { maxInMemory: 3, source: store });
    assert.equal(p.baselines.size, 0, 'nothing read at start');
    const o = p.observe(exec('/usr/bin/tool0', { workload: 'ns/Deployment/w0' }), T0 + 1000);
    assert.deepEqual(o.novel, [], 'what w0 learned before the restart is known');
    assert.equal(p.stats.loaded, 1);
    for (let i = 1; i < 10; i++) p.observe(exec('/usr/bin/tool0', { workload: `ns/Deployment/w${i}` }), T0 + 1000);
    // unsaved changes keep them all in memory until flushed
    assert.equal(p.evict(), 0);
    store.flush(p.baselines.values(), T0 + 1000);
    assert.ok(p.evict() >= 5);
    assert.ok(p.baselines.size <= 3 + 16);
    const again = p.observe(exec('/usr/bin/tool0', { workload: 'ns/Deployment/w0' }), T0 + 2000);
    assert.equal(again.baseline.get('exec', '/usr/bin/tool0')?.count, 5 + 2, 'counts kept across eviction (5 learned, 2 since)');
    assert.deepEqual(p.ofWorkload('ns/Deployment/w7').map((b) => b.key), ['ns/Deployment/w7#app']);
  });

  it('a saved baseline no event used for idleMs leaves memory whatever the count, and comes back intact', () => {
    const store = new BaselineStore(db);
    const MIN = 60_000;
    const p = new Profiler(testLearning(), { idleMs: 15 * MIN, source: store });
    p.observe(exec('/usr/bin/gone', { workload: 'ns/Deployment/gone' }), T0);
    p.observe(exec('/usr/bin/busy', { workload: 'ns/Deployment/busy' }), T0);
    assert.equal(p.evict(T0 + 20 * MIN), 0, 'unsaved changes stay');
    store.flush(p.baselines.values(), T0);
    p.observe(exec('/usr/bin/busy', { workload: 'ns/Deployment/busy' }), T0 + 19 * MIN);
    store.flush(p.baselines.values(), T0 + 19 * MIN);
    assert.equal(p.evict(T0 + 20 * MIN + 30_000), 0, 'at most one pass a minute');
    assert.equal(p.evict(T0 + 21 * MIN), 1);
    assert.deepEqual([...p.baselines.keys()], ['ns/Deployment/busy#app']);
    assert.equal(p.stats.idle, 1);
    const back = p.observe(exec('/usr/bin/gone', { workload: 'ns/Deployment/gone' }), T0 + 30 * MIN);
    assert.deepEqual(back.novel, [], 'what it learned is read again from the store');
    assert.equal(back.baseline.get('exec', '/usr/bin/gone')?.count, 2);
  });
});
