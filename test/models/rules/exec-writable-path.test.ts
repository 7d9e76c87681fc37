import assert from 'node:assert/strict';
import rule, { inWritableDir } from '../../../models/rules/exec-writable-path/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0 } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/exec-writable-path', () => {
  it('shape', () => {
    assertRuleShape(rule, 'exec-writable-path');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1105');
  });

  it('alerts while learning for /tmp, /var/tmp, /dev/shm and /run/user binaries', () => {
    for (const p of ['/tmp/x', '/var/tmp/kinsing', '/dev/shm/.x/miner', '/run/user/1000/a', '/dev/mqueue/b']) {
      const a = one(engine(), exec(p));
      assert.equal(a.rule, 'exec-writable-path');
      assert.equal(a.severity, 'high');
      assert.equal(a.baseline.state, 'learning');
    }
  });

  it('dedups on the generalised item: one alert for every mktemp dir', () => {
    const e = engine();
    const a = one(e, exec('/tmp/tmp.Xa81kQz0pL/payload'), T0);
    assert.equal(a.dedupKey, 'exec-writable-path|shop/Deployment/web#app|/tmp/*/payload');
    assert.equal(e.process(exec('/tmp/tmp.Qz0pLXa81k/payload'), T0 + 1)[0].isNew, false);
    assert.equal(a.count, 2);
  });

  it('no alert for image paths or look-alike prefixes', () => {
    const e = engine();
    for (const p of ['/usr/bin/app', '/tmpfs/bin/x', '/app/tmp/x', '/opt/var/tmp/x', 'sh']) none(e, exec(p));
    assert.equal(inWritableDir('/tmp'), false, 'the directory itself is not a binary in it');
  });

  it('a /tmp binary the stable baseline learned is the workload habit; a new one alerts', () => {
    const e = engine();
    one(e, exec('/tmp/hsperfdata-helper'), T0); // while learning: alerts once, and is learned
    const t = learnThenStable(e, [], T0);
    none(e, exec('/tmp/hsperfdata-helper'), t);
    const a = one(e, exec('/tmp/other'), t + 1);
    assert.equal(a.baseline.state, 'stable');
  });
});
