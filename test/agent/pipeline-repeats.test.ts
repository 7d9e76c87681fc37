// Under load, batches of only repeats of stored alerts wait (≤ 250 ms) for one larger
// commit; a new alert, or a batch with an offset to acknowledge, commits at once with
// what waited before it, so the offset still moves only after everything judged before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { Pipeline } from '../../agent/pipeline.ts';
import { WaitingRepeats } from '../../agent/waiting-repeats.ts';
import { Profiler } from '../../models/baseline/profiler.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { DEFAULT_LEARNING } from '../../models/baseline/baseline.ts';
import { rules } from '../../models/rules/index.ts';
import { createEnricher } from '../../collector/enrich/index.ts';
import { silentLogger } from '../../collector/log.ts';
import { withAck, type EventBatches } from '../../collector/sources/types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { AlertUpdate } from '../../models/alert.ts';
import { openDatabase, type Db } from '../../agent/store/db.ts';
import { AlertStore } from '../../agent/store/alerts.ts';
import { waitFor } from '../support/env.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const run = (i: number, workload = 'app'): RuntimeEvent => ({
  time: T0 + i,
  node: 'n',
  source: 'events',
  kind: 'exec',
  process: { pid: 100 + i, exe: '/tmp/evil', args: ['/tmp/evil'] },
  workload: { id: `shop/Deployment/${workload}`, namespace: 'shop', kind: 'Deployment', name: workload, container: 'main' },
  enrichment: 'complete',
});

const update = (id: string, count: number, isNew = false): AlertUpdate => ({ alert: { id, count } as AlertUpdate['alert'], isNew });

describe('pipeline: repeats wait for a larger commit', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-repeats-'));
    db = openDatabase(join(dir, 'habitwatch.db'));
  });
  afterEach(() => {
    sinon.restore();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds only plain repeats without an acknowledgement, for at most the wait', () => {
    const w = new WaitingRepeats(250);
    assert.equal(w.hold([update('a', 1, true)], [], false, 0, 0), false, 'a new alert is committed at once');
    assert.equal(w.hold([update('a', 2)], [], true, 0, 0), false, 'a batch with an acknowledgement is committed at once');
    assert.equal(w.hold([update('a', 2)], [], false, 10, 10), true);
    assert.equal(w.hold([update('a', 3)], [], false, 100, 100), true);
    assert.equal(w.size, 1, 'one alert: its repeats coalesced');
    assert.equal(w.hold([update('a', 4)], [], false, 260, 260), false, 'due: what waited is committed now, with this batch');
    const taken = w.take();
    assert.equal(taken?.updates[0].alert.count, 3, 'the latest repeat that waited');
    assert.equal(taken?.acceptedAt, 10, 'latency from the oldest waiting batch');
    assert.equal(w.take(), undefined);
    w.giveBack(taken!, 300);
    assert.equal(w.size, 1, 'a failed commit: it waits again');
  });

  it('a storm of repeats: fewer commits, every count stored; a batch with an offset commits what waited before acknowledging', async () => {
    const alerts = new AlertStore(db);
    const commit = sinon.spy(alerts, 'commit');
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const streamed: AlertUpdate[] = [];
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts, onAlert: (u) => streamed.push(u), flushIntervalMs: 60_000 });
    const stored = (): number => (db.prepare("SELECT max(count) AS n FROM alerts WHERE rule = 'exec-writable-path'").get() as { n: number | null }).n ?? 0;
    let acked = false;
    let release!: () => void;
    const more = new Promise<void>((r) => (release = r));
    async function* source(): EventBatches {
      for (let b = 0; b < 20; b++) yield [run(b * 2), run(b * 2 + 1)];
      await more;
      yield withAck([run(100)], () => (acked = stored() === 41));
    }
    const ac = new AbortController();
    const done = p.run([{ name: 'events', batches: source() }], ac.signal);
    await waitFor(() => p.events === 40, { what: 'the 20 batches judged' });
    assert.ok(commit.callCount < 20, `${commit.callCount} commits for 20 batches`);
    assert.ok(stored() >= 1, 'the new alert was committed at once');
    release();
    await waitFor(() => p.events === 41, { what: 'the batch with an offset judged' });
    assert.equal(acked, true, 'acknowledged only with the 40 repeats before it stored');
    assert.equal(stored(), 41);
    assert.equal(streamed.at(-1)?.alert.count, 41, 'streamed after the commit, in order');
    ac.abort();
    await done;
  });

  it('repeats still waiting when the load stops are committed by the periodic tick', async () => {
    const alerts = new AlertStore(db);
    const engine = new Engine(new Profiler(DEFAULT_LEARNING), rules, DEFAULT_ENGINE);
    const p = new Pipeline({ engine, enricher: createEnricher(), log: silentLogger, now: () => Date.now(), alerts, flushIntervalMs: 50 });
    const stored = (): number => (db.prepare("SELECT max(count) AS n FROM alerts WHERE rule = 'exec-writable-path'").get() as { n: number | null }).n ?? 0;
    let release!: () => void;
    const end = new Promise<void>((r) => (release = r));
    async function* source(): EventBatches {
      yield [run(0)];
      yield [run(1)];
      yield [run(2)];
      await end;
    }
    const ac = new AbortController();
    const done = p.run([{ name: 'events', batches: source() }], ac.signal);
    await waitFor(() => stored() === 3, { what: 'the waiting repeats committed by the tick' });
    release();
    ac.abort();
    await done;
  });
});
