import assert from 'node:assert/strict';
import { Readiness } from '../../agent/readiness.ts';

describe('agent readiness', () => {
  it('ready once started and every attaching source observes; not while one restarts', () => {
    const r = new Readiness(['bpftrace']);
    assert.equal(r.ready, false);
    r.setStarted(true);
    assert.equal(r.ready, false, 'started, but the probes are not attached yet');
    assert.deepEqual(r.notObserving(), ['bpftrace']);
    r.observing('bpftrace', true);
    assert.equal(r.ready, true);
    assert.deepEqual(r.notObserving(), []);
    r.observing('bpftrace', false);
    assert.equal(r.ready, false, 'blind while bpftrace restarts');
    r.observing('bpftrace', true);
    assert.equal(r.ready, true);
    r.setStarted(false);
    assert.equal(r.ready, false, 'stopping');
  });

  it('sources that observe from their first read do not hold readiness', () => {
    const r = new Readiness([]);
    r.setStarted(true);
    assert.equal(r.ready, true);
  });
});

describe('agent readiness checks', () => {
  it('a failing check makes the agent not ready and names the reason', () => {
    const r = new Readiness([]);
    r.setStarted(true);
    let why: string | undefined = 'commit failing since …: SqliteError: database or disk is full';
    r.check('storage', () => why);
    assert.equal(r.ready, false);
    assert.deepEqual(r.problems(), { storage: why });
    why = undefined;
    assert.equal(r.ready, true);
    assert.deepEqual(r.problems(), {});
  });
});
