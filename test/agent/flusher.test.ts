// The interval's baseline flush under a storm of new workloads: written in transactions
// of FLUSH_SLICE baselines with the event loop free between them (never one transaction
// of thousands), every change stored by the end of the pass, and only then do saved
// baselines beyond the in-memory bound leave memory.
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../agent/store/db.ts';
import { BaselineStore } from '../../agent/store/baselines.ts';
import { BaselineFlusher, FLUSH_SLICE } from '../../agent/flusher.ts';
import { Engine, DEFAULT_ENGINE } from '../../models/engine.ts';
import { Profiler, unsaved } from '../../models/baseline/profiler.ts';
import { rules } from '../../models/rules/index.ts';
import { silentLogger } from '../../collector/log.ts';
import { exec, testLearning, T0 } from '../support/events.ts';

describe('baseline flush in slices', () => {
  let db: Db;
  beforeEach(() => (db = openDatabase(':memory:')));
  afterEach(() => db.close());

  it(`${FLUSH_SLICE * 3 + 50} new baselines: ${FLUSH_SLICE} per transaction, the loop runs between them, all stored, then evicted to the bound`, async () => {
    const store = new BaselineStore(db);
    const profiler = new Profiler(testLearning(), { maxInMemory: 10, source: store });
    const engine = new Engine(profiler, rules, DEFAULT_ENGINE);
    const n = FLUSH_SLICE * 3 + 50;
    for (let w = 0; w < n; w++) profiler.observe(exec('/usr/bin/x', { workload: `ns/Deployment/app-${w}` }), T0);
    const stored = (): number => (db.prepare('SELECT count(*) AS n FROM baselines').get() as { n: number }).n;
    // each slice is one flush call; note what the store held and whether the loop ran since the last one
    const slices: { before: number; loopRan: boolean }[] = [];
    let loopRan = false;
    const flush = store.flush.bind(store);
    store.flush = (...a) => {
      slices.push({ before: stored(), loopRan });
      loopRan = false;
      setImmediate(() => (loopRan = true));
      return flush(...a);
    };
    const flusher = new BaselineFlusher({ engine, baselines: store, log: silentLogger, now: () => T0, yieldLoop: () => new Promise((r) => setImmediate(r)) });
    await flusher.flushInSlices();
    assert.equal(stored(), n, 'every new baseline stored');
    assert.deepEqual(
      slices.map((s) => s.before),
      [0, FLUSH_SLICE, 2 * FLUSH_SLICE, 3 * FLUSH_SLICE],
      `${FLUSH_SLICE} baselines per transaction`,
    );
    assert.ok(slices.slice(1).every((s) => s.loopRan), 'the event loop ran between two slices');
    assert.equal([...profiler.baselines.values()].filter(unsaved).length, 0);
    assert.equal(profiler.baselines.size, 10, 'then saved ones beyond the bound left memory');
  });
});
