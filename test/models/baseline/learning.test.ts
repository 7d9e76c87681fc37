import assert from 'node:assert/strict';
import sinon from 'sinon';
import { Profiler } from '../../../models/baseline/profiler.ts';
import { lock, relearn, stableEta, tick, unlock, newImage } from '../../../models/baseline/learning.ts';
import { exec, write, testLearning, T0, MIN } from '../../support/events.ts';

// minLearning 10 min, quiet period 2 min
const cfg = testLearning();

function learner(): Profiler {
  return new Profiler(cfg);
}

describe('models/baseline/learning', () => {
  it('learning → stable only after minLearning AND the quiet period', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    p.observe(exec('/usr/bin/helper'), T0 + 1 * MIN);
    assert.equal(b.meta.state, 'learning');
    assert.equal(b.meta.learningSince, T0);
    assert.equal(b.meta.lastNewItemAt, T0 + 1 * MIN);
    // quiet for 8 minutes, but the minimum learning time has not passed
    p.tickAll(T0 + 9 * MIN);
    assert.equal(b.meta.state, 'learning');
    assert.equal(stableEta(b, cfg), T0 + 10 * MIN);
    p.tickAll(T0 + 10 * MIN - 1);
    assert.equal(b.meta.state, 'learning');
    p.tickAll(T0 + 10 * MIN);
    assert.equal(b.meta.state, 'stable');
    assert.equal(b.meta.stableSince, T0 + 10 * MIN);
    assert.equal(stableEta(b, cfg), null);
  });

  it('a new item resets the quiet period; a known item does not', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    p.observe(write('/data/new'), T0 + 9 * MIN + 30_000);
    assert.equal(stableEta(b, cfg), T0 + 11 * MIN + 30_000);
    p.observe(exec('/usr/bin/app'), T0 + 10 * MIN); // known: no reset, and not yet quiet
    assert.equal(b.meta.state, 'learning');
    assert.equal(b.meta.lastNewItemAt, T0 + 9 * MIN + 30_000);
    p.tickAll(T0 + 11 * MIN);
    assert.equal(b.meta.state, 'learning');
    p.tickAll(T0 + 11 * MIN + 30_000);
    assert.equal(b.meta.state, 'stable');
  });

  it('a known event after the quiet period makes it stable without a tick', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    p.observe(exec('/usr/bin/app'), T0 + 10 * MIN);
    assert.equal(b.meta.state, 'stable');
  });

  it('transitions depend only on the time passed in, never on the clock', () => {
    const clock = sinon.useFakeTimers({ now: T0 + 365 * 24 * 60 * MIN, toFake: ['Date', 'setTimeout', 'setInterval'] });
    try {
      const p = learner();
      const b = p.observe(exec('/usr/bin/app'), T0).baseline;
      p.tickAll(T0 + 1 * MIN);
      assert.equal(b.meta.state, 'learning', 'a year of wall clock means nothing');
      clock.tick(60 * MIN);
      p.tickAll(T0 + 2 * MIN);
      assert.equal(b.meta.state, 'learning');
      p.tickAll(T0 + 10 * MIN);
      assert.equal(b.meta.state, 'stable');
      assert.equal(clock.countTimers(), 0, 'models start no timers');
    } finally {
      clock.restore();
    }
  });

  it('tick() leaves stable, locked and unstable baselines alone', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    for (const s of ['stable', 'locked', 'unstable'] as const) {
      b.meta.state = s;
      assert.equal(tick(b, T0 + 100 * MIN, cfg), undefined);
      assert.equal(b.meta.state, s);
    }
  });

  it('new image → relearning, version+1, seeded from the previous items, previous snapshot archived', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app', { image: 'web:1' }), T0).baseline;
    p.observe(write('/data/x', 'write', { image: 'web:1' }), T0 + 1000);
    p.tickAll(T0 + 20 * MIN);
    assert.equal(b.meta.state, 'stable');

    const o = p.observe(exec('/usr/bin/app2', { image: 'web:2' }), T0 + 30 * MIN);
    assert.equal(o.baseline, b, 'same baseline key, new version');
    assert.equal(b.meta.state, 'relearning');
    assert.equal(b.meta.version, 2);
    assert.equal(b.meta.image, 'web:2');
    assert.equal(b.meta.learningSince, T0 + 30 * MIN);
    assert.equal(b.meta.stableSince, null);
    assert.deepEqual(o.novel, ['/usr/bin/app2'], 'judged as learning: nothing alerts, the new binary is learned');
    assert.ok(b.has('exec', '/usr/bin/app'), 'seeded from the previous version');
    assert.ok(b.has('file_write', '/data/x'));
    assert.ok(b.has('exec', '/usr/bin/app2'));

    assert.equal(b.archived.length, 1);
    const prev = b.archived[0];
    assert.equal(prev.meta.version, 1);
    assert.equal(prev.meta.image, 'web:1');
    assert.equal(prev.meta.state, 'stable');
    assert.deepEqual(prev.items.exec!.map((i) => i.key), ['/usr/bin/app']);

    // relearning becomes stable like learning does
    p.tickAll(T0 + 40 * MIN);
    assert.equal(b.meta.state, 'stable');
  });

  it('the first image seen is recorded without a new version; digests win over tags', () => {
    const p = learner();
    const ev = exec('/usr/bin/app');
    delete ev.container!.image;
    ev.workload!.image = undefined;
    const b = p.observe(ev, T0).baseline;
    assert.equal(b.meta.image, null);
    const ev2 = exec('/usr/bin/app', { image: 'web:1' });
    ev2.container!.imageDigest = 'sha256:aaa';
    p.observe(ev2, T0 + 1);
    assert.equal(b.meta.image, 'sha256:aaa');
    assert.equal(b.meta.version, 1);
    assert.equal(b.meta.state, 'learning');
    const ev3 = exec('/usr/bin/app', { image: 'web:1-retagged' });
    ev3.container!.imageDigest = 'sha256:aaa';
    p.observe(ev3, T0 + 2);
    assert.equal(b.meta.version, 1, 'same digest under another tag is the same image');
  });

  it('lock / unlock', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    lock(b, 'alice', T0 + 1000);
    assert.equal(b.meta.state, 'locked');
    assert.equal(b.meta.lockedBy, 'alice');
    assert.equal(b.enforcing(), true, 'a locked baseline is judged against');
    assert.equal(b.learning(), false);
    // nothing is learned while locked
    assert.deepEqual(p.observe(exec('/usr/bin/new'), T0 + 2000).novel, ['/usr/bin/new']);
    assert.equal(b.has('exec', '/usr/bin/new'), false);
    p.tickAll(T0 + 100 * MIN);
    assert.equal(b.meta.state, 'locked');
    unlock(b, T0 + 101 * MIN);
    assert.equal(b.meta.state, 'stable');
    assert.equal(b.meta.lockedBy, null);
    assert.equal(b.meta.stableSince, T0 + 101 * MIN);
  });

  it('a locked baseline stays locked across an image change (version and image still move on)', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app', { image: 'web:1' }), T0).baseline;
    lock(b, 'bob', T0 + 1000);
    const o = p.observe(exec('/usr/bin/app2', { image: 'web:2' }), T0 + 5 * MIN);
    assert.equal(b.meta.state, 'locked');
    assert.equal(b.meta.lockedBy, 'bob');
    assert.equal(b.meta.version, 2);
    assert.equal(b.meta.image, 'web:2');
    assert.equal(b.archived.length, 1);
    assert.deepEqual(o.novel, ['/usr/bin/app2'], 'the new image is judged, not learned');
  });

  it('relearn without reset keeps items and version; with reset drops them into a new version', () => {
    const p = learner();
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    p.tickAll(T0 + 20 * MIN);
    relearn(b, T0 + 30 * MIN, false);
    assert.equal(b.meta.state, 'relearning');
    assert.equal(b.meta.version, 1);
    assert.equal(b.archived.length, 0);
    assert.ok(b.has('exec', '/usr/bin/app'));
    assert.equal(stableEta(b, cfg), T0 + 40 * MIN);

    p.tickAll(T0 + 40 * MIN);
    relearn(b, T0 + 50 * MIN, true);
    assert.equal(b.meta.state, 'relearning');
    assert.equal(b.meta.version, 2);
    assert.equal(b.size, 0);
    assert.equal(b.archived.length, 1);
    assert.equal(b.archived[0].items.exec!.length, 1);
    assert.equal(b.meta.learningSince, T0 + 50 * MIN);
  });

  it('unstable: a relearn or a new image starts learning again; lock clears unstableReason', () => {
    const p = new Profiler(testLearning({ maxItems: 1 }));
    const b = p.observe(exec('/usr/bin/app'), T0).baseline;
    p.observe(exec('/usr/bin/other'), T0 + 1);
    assert.equal(b.meta.state, 'unstable');
    assert.ok(b.meta.unstableReason);
    newImage(b, 'web:9', T0 + 2);
    assert.equal(b.meta.state, 'relearning');
    assert.equal(b.meta.unstableReason, null);
    lock(b, 'carol', T0 + 3);
    assert.equal(b.meta.unstableReason, null);
  });
});
