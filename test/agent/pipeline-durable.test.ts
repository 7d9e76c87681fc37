// The live pipeline under storage failures: a batch whose commit fails is retried
// (its acknowledgement, i.e. its source offset, waits for the commit), the agent is
// not ready and raises a self-alert meanwhile, and it resumes by itself.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { Pipeline } from '../../agent/pipeline.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { DEFAULT_LEARNING } from '../../models/baseline/baseline.ts';
import { rules } from '../../models/rules/index.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import { silentLogger } from '../../collector/log.ts';
import { withAck, type EventBatches } from '../../collector/sources/types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { openDatabase, type Db } from '../../agent/store/db.ts';
import { AlertStore } from '../../agent/store/alerts.ts';
import { StoreHealth } from '../../agent/store/health.ts';
import { SelfAlerts } from '../../agent/self-alerts.ts';
import { createMetrics } from '../../agent/metrics.ts';
import { assertValidAlert } from '../support/alert-schema.ts';
import { waitFor } from '../support/env.ts';

const evil = (i: number): RuntimeEvent => ({
  time: Date.parse('2026-05-01T00:00:00Z') + i,
  node: 'n',
  source: 'events',
  kind: 'exec',
  process: { pid: 100 + i, exe: '/tmp/evil', args: ['/tmp/evil'] },
  workload: { id: `shop/Deployment/app-${i}`, namespace: 'shop', kind: 'Deployment', name: `app-${i}`, container: 'main' },
  enrichment: 'complete',
});

function full(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL', name: 'SqliteError' });
}

describe('pipeline: at least once under storage failures', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-durable-'));
    db = openDatabase(join(dir, 'habitwatch.db'));
  });
  afterEach(() => {
    sinon.restore();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries a failed commit before acknowledging, is not ready meanwhile, raises a self-alert, resumes by itself', async () => {
    const alerts = new AlertStore(db);
    const metrics = createMetrics({ defaultMetrics: false });
    const self = new SelfAlerts({
      who: { node: 'n', pid: 1, ppid: null, exe: '/usr/bin/node', uid: 0, cwd: '/' },
      now: () => Date.now(),
      cooldownMs: 600_000,
      log: silentLogger,
      commit: (u) => alerts.commit(u),
      metrics,
    });
    const health = new StoreHealth({ log: silentLogger, now: () => Date.now(), metrics, self });
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts, health, selfAlerts: self, metrics, commitRetry: { initialMs: 1, maxMs: 5 } });

    // the store refuses every commit until the test lets it
    let broken = true;
    const real = AlertStore.prototype.commit;
    let attempts = 0;
    sinon.stub(AlertStore.prototype, 'commit').callsFake(function (this: AlertStore, ...args: Parameters<AlertStore['commit']>) {
      attempts++;
      if (broken) throw full();
      return real.apply(this, args);
    });
    const acked: number[] = [];
    async function* source(): EventBatches {
      yield withAck([evil(1), evil(2)], () => acked.push(1));
      yield withAck([evil(3)], () => acked.push(2));
    }
    const ac = new AbortController();
    const done = p.run([{ name: 'events', batches: source() }], ac.signal);

    await waitFor(() => attempts >= 5, { what: 'retries of the failed commit' });
    assert.deepEqual(acked, [], 'the offset does not move while the commit fails');
    assert.equal(health.healthy, false);
    assert.match(health.problem() ?? '', /commit failing since .*database or disk is full/);
    assert.equal(self.conditions().has('storage-failing'), true);
    assert.equal(self.waiting, 1, 'the self-alert waits for the store');

    broken = false;
    await waitFor(() => acked.length === 2, { what: 'both batches committed and acknowledged, in order' });
    assert.deepEqual(acked, [1, 2]);
    assert.equal(health.healthy, true);
    assert.equal(self.conditions().has('storage-failing'), false);
    ac.abort();
    await done;

    const stored = (db.prepare('SELECT body FROM alerts').all() as { body: string }[]).map((r) => JSON.parse(r.body) as { rule: string; workload: { id: string } });
    for (const a of stored) assertValidAlert(a);
    assert.deepEqual(stored.filter((a) => a.rule === 'exec-writable-path').map((a) => a.workload.id).sort(), ['shop/Deployment/app-1', 'shop/Deployment/app-2', 'shop/Deployment/app-3']);
    const selfAlert = stored.find((a) => a.rule === 'agent-storage-failing');
    assert.ok(selfAlert, 'the self-alert was stored once the store answered');
    assert.equal(selfAlert.workload.id, 'habitwatch-agent/n');
    const m = await metrics.registry.getSingleMetricAsString('habitwatch_store_errors_total');
    assert.match(m, /op="commit"\} [1-9]/);
  });

  it('judges nothing while the store cannot be read (the file being restored): the batch waits, whole, then is judged and acknowledged', async () => {
    const alerts = new AlertStore(db);
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    let usable = false;
    let asked = 0;
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts, commitRetry: { initialMs: 1, maxMs: 5 }, storeUsable: () => (asked++, usable) });
    let acked = false;
    async function* source(): EventBatches {
      yield withAck([evil(1), evil(2)], () => (acked = true));
    }
    const ac = new AbortController();
    const done = p.run([{ name: 'events', batches: source() }], ac.signal);
    await waitFor(() => asked >= 3, { what: 'the store asked again' });
    assert.equal(p.events, 0, 'nothing judged');
    assert.equal(acked, false);
    usable = true;
    await waitFor(() => acked, { what: 'judged and acknowledged' });
    assert.equal((db.prepare("SELECT count(*) AS n FROM alerts WHERE rule = 'exec-writable-path'").get() as { n: number }).n, 2);
    ac.abort();
    await done;
  });

  it('a stop during the retries acknowledges nothing (the batch is read again on start)', async () => {
    const alerts = new AlertStore(db);
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts, commitRetry: { initialMs: 1, maxMs: 5 } });
    let attempts = 0;
    sinon.stub(AlertStore.prototype, 'commit').callsFake(() => {
      attempts++;
      throw full();
    });
    let acked = false;
    async function* source(): EventBatches {
      yield withAck([evil(1)], () => (acked = true));
    }
    const ac = new AbortController();
    const done = p.run([{ name: 'events', batches: source() }], ac.signal);
    await waitFor(() => attempts >= 2);
    ac.abort();
    await done;
    assert.equal(acked, false);
  });

  it('the source offset is committed in the same transaction as the alerts', () => {
    const alerts = new AlertStore(db);
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts });
    db.exec('CREATE TABLE probe (v TEXT)');
    // an ack that fails rolls the alerts back too: neither is stored, the batch is retried whole
    const batch = withAck([evil(1)], () => {
      db.prepare("INSERT INTO probe VALUES ('offset')").run();
      throw full();
    });
    assert.throws(() => p.handle(batch), /disk is full/);
    assert.equal((db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n, 0);
  });
});
