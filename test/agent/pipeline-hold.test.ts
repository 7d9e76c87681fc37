// The live pipeline with events held back by enrichment (a container whose pod the API
// has not reported yet): other events go on at once, held ones are judged when
// released, and a file source's offset (its batch acknowledgement) waits for them — and
// keeps its order — so a crash meanwhile re-reads them instead of losing them. Released
// while the store cannot be read or written (the database being restored, a full disk),
// they wait for it as the live path does: never dropped.
import assert from 'node:assert/strict';
import { Pipeline } from '../../agent/pipeline.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { DEFAULT_LEARNING } from '../../models/baseline/baseline.ts';
import { rules } from '../../models/rules/index.ts';
import { createEnricher, type EnrichStep, type HoldContext } from '../../collector/enrich/index.ts';
import { silentLogger } from '../../collector/log.ts';
import { withAck, type EventBatches } from '../../collector/sources/types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { waitFor } from '../support/env.ts';
import { openDatabase } from '../../agent/store/db.ts';
import { AlertStore } from '../../agent/store/alerts.ts';
import { createMetrics } from '../../agent/metrics.ts';
import { tempDir } from '../support/agent-proc.ts';

const ev = (exe: string, container: string): RuntimeEvent => ({
  time: Date.parse('2026-05-01T00:00:00Z'),
  node: 'n',
  source: 'auditd',
  kind: 'exec',
  process: { pid: 1, exe, args: [exe] },
  container: { id: container, runtime: 'containerd' },
  enrichment: 'complete',
});

/** holds the events of containers it has not been told about */
class Gate implements EnrichStep {
  name = 'gate';
  known = new Set<string>(['c1']);
  private ctx: HoldContext | undefined;
  attach(ctx: HoldContext): void {
    this.ctx = ctx;
  }
  hold(e: RuntimeEvent): string | undefined {
    return this.known.has(e.container!.id) ? undefined : e.container!.id;
  }
  enrich(e: RuntimeEvent): void {
    e.workload = { id: `ns/Deployment/${e.container!.id}`, namespace: 'ns', kind: 'Deployment', name: e.container!.id, container: 'main' };
  }
  learn(id: string): void {
    this.known.add(id);
    this.ctx?.resolved(id);
  }
}

describe('pipeline: events held back by enrichment', () => {
  it('judges the rest at once, the held ones when released; a batch’s offset waits for its held events, in order', async () => {
    const gate = new Gate();
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const seen: string[] = [];
    const p = new Pipeline({ engine, enricher: createEnricher([gate]), log: silentLogger, now: () => Date.now(), onAlert: () => {} });
    const judged = engine.process.bind(engine);
    engine.process = (e, now, out) => (seen.push(e.process.exe), judged(e, now, out));
    const acks: number[] = [];
    let next: (() => void) | undefined;
    const more = new Promise<void>((r) => (next = r));
    async function* source(): EventBatches {
      yield withAck([ev('/bin/a', 'c1'), ev('/bin/b', 'c2'), ev('/bin/c', 'c1')], () => acks.push(1));
      yield withAck([ev('/bin/d', 'c1')], () => acks.push(2));
      await more;
    }
    const ac = new AbortController();
    const run = p.run([{ name: 'auditd', batches: source() }], ac.signal);
    await waitFor(() => seen.includes('/bin/d'), { what: 'second batch judged' });
    assert.deepEqual(seen, ['/bin/a', '/bin/c', '/bin/d'], 'c2 waits, the others do not');
    assert.deepEqual(acks, [], 'neither offset moves past the held event');
    gate.learn('c2');
    await waitFor(() => acks.length === 2, { what: 'the held event judged and both offsets committed' });
    assert.deepEqual(seen, ['/bin/a', '/bin/c', '/bin/d', '/bin/b']);
    assert.deepEqual(acks, [1, 2], 'both offsets, in order, once it is judged');
    next!();
    ac.abort();
    await run;
  });

  it('released while the store is being restored, then while commits fail: judged once it can be read, committed once it can be written, then the offsets — none dropped', async () => {
    const tmp = tempDir('hw-hold-');
    const db = openDatabase(`${tmp.dir}/habitwatch.db`);
    try {
      const gate = new Gate();
      const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
      const alerts = new AlertStore(db);
      const metrics = createMetrics({ defaultMetrics: false });
      let usable = true;
      let asked = 0;
      let writable = true;
      let attempts = 0;
      const commit = alerts.commit.bind(alerts);
      alerts.commit = (...a) => {
        attempts++;
        if (!writable) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL', name: 'SqliteError' });
        commit(...a);
      };
      const p = new Pipeline({ engine, enricher: createEnricher([gate]), log: silentLogger, now: () => Date.now(), alerts, metrics, commitRetry: { initialMs: 1, maxMs: 5 }, storeUsable: () => (asked++, usable) });
      const acks: number[] = [];
      let next: (() => void) | undefined;
      const more = new Promise<void>((r) => (next = r));
      async function* source(): EventBatches {
        yield withAck([ev('/tmp/a', 'c1'), ev('/tmp/b', 'c2')], () => acks.push(1));
        yield withAck([ev('/tmp/c', 'c3')], () => acks.push(2));
        await more;
      }
      const ac = new AbortController();
      const run = p.run([{ name: 'auditd', batches: source() }], ac.signal);
      const stored = (): string[] => (db.prepare("SELECT workload_id AS w FROM alerts WHERE rule = 'exec-writable-path' ORDER BY w").all() as { w: string }[]).map((r) => r.w);
      await waitFor(() => stored().length === 1, { what: 'the first batch’s own event stored' });
      assert.deepEqual(acks, [], 'no offset moves past the held events');

      // c2 released while the store cannot be read: nothing judged, nothing dropped
      usable = false;
      gate.learn('c2');
      const judged = p.events;
      const askedBefore = asked;
      await waitFor(() => asked >= askedBefore + 3, { what: 'the store asked again' });
      assert.equal(p.events, judged, 'not judged while the store cannot be read');
      // readable again but every commit fails: judged, retried, not acknowledged
      writable = false;
      usable = true;
      const before = attempts;
      await waitFor(() => attempts >= before + 3, { what: 'the released events’ commit retried' });
      assert.deepEqual(acks, []);
      gate.learn('c3');
      writable = true;
      await waitFor(() => acks.length === 2, { what: 'both offsets committed once the held events were' });
      assert.deepEqual(acks, [1, 2], 'in order');
      assert.deepEqual(stored(), ['ns/Deployment/c1', 'ns/Deployment/c2', 'ns/Deployment/c3'], 'every released event judged and its alert stored');
      const dropped = await metrics.registry.getSingleMetricAsString('habitwatch_events_dropped_total');
      assert.doesNotMatch(dropped, /pipeline_error/, 'none counted dropped');
      next!();
      ac.abort();
      await run;
    } finally {
      db.close();
      tmp.cleanup();
    }
  });
});
