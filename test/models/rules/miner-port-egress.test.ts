import assert from 'node:assert/strict';
import rule, { MINER_PORTS } from '../../../models/rules/miner-port-egress/rule.ts';
import { assertRuleShape, connect, learnThenStable, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/miner-port-egress', () => {
  it('shape', () => {
    assertRuleShape(rule, 'miner-port-egress');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1496');
  });

  it('stratum ports alert while learning', () => {
    for (const port of [3333, 4444, 14444, 45700]) {
      assert.ok(MINER_PORTS.has(port));
      const a = one(engine(), connect('127.66.6.6', port, { exe: '/tmp/xmrig' }));
      assert.equal(a.dedupKey, `miner-port-egress|shop/Deployment/web#app|127.66.6.6:${port}`);
      assert.equal(a.evidence.dstPort, port);
    }
  });

  it('pool names alert on any port, even learned ones', () => {
    const e = engine();
    const a = one(e, connect('10.1.1.1', 443, {}, 'pool.supportxmr.com'));
    assert.match(a.description, /mining pool/);
    assert.equal(a.evidence.dns, 'pool.supportxmr.com');
    one(e, connect('10.1.1.2', 80, {}, 'xmr-eu1.nanopool.org'));
    const t = learnThenStable(e, []);
    assert.equal(e.process(connect('10.1.1.1', 443, {}, 'pool.supportxmr.com'), t)[0].isNew, true, 'window passed: a new alert');
  });

  it('ordinary destinations do not alert', () => {
    const e = engine();
    none(e, connect('10.0.0.5', 5432));
    none(e, connect('10.0.0.6', 443, {}, 'api.example.com'));
    none(e, connect('10.0.0.7', 443, {}, 'mypool.example.com'));
    none(e, connect('10.0.0.8', 6379, {}, 'spool.example.com'));
  });

  it('a miner-port destination the stable baseline learned is the workload habit; a new one alerts', () => {
    const e = engine();
    one(e, connect('10.0.0.9', 3333)); // learned (and alerted once) while learning
    const t = learnThenStable(e, []);
    none(e, connect('10.0.0.9', 3333), t);
    one(e, connect('10.0.0.10', 3333), t + 1);
  });

  it('busy general-purpose ports (5555, 8333, 9999) are left to novelty detection', () => {
    const e = engine();
    for (const p of [5555, 8333, 9999]) none(e, connect('10.0.0.9', p));
  });
});
