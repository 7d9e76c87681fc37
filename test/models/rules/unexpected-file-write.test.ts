import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-file-write/rule.ts';
import { assertRuleShape, learnThenStable, none, one, testEngine, write, T0, MIN } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });
const learned = [write('/var/lib/app/state.db'), write('/tmp/tmp.Xa81kQz0pL', 'create'), write('/var/log/app/app-20260101.log')];

describe('rules/unexpected-file-write', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-file-write');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['file_write']);
    assert.equal(rule.severity, 'medium');
    assert.equal(rule.mitre.technique, 'T1565.001');
  });

  it('a write to a path not in a stable baseline alerts with path, op and item', () => {
    const e = engine();
    const t = learnThenStable(e, learned);
    const a = one(e, write('/var/lib/app/backdoor.sh', 'create'), t);
    assert.equal(a.severity, 'medium');
    assert.deepEqual([a.evidence.path, a.evidence.op, a.evidence.item], ['/var/lib/app/backdoor.sh', 'create', '/var/lib/app/backdoor.sh']);
    assert.match(a.summary, /^create of \/var\/lib\/app\/backdoor\.sh/);
    assert.equal(a.baseline.expected[0], '/var/lib/app/state.db');
  });

  it('learned writes, generalised temp names and rotated logs do not alert while stable', () => {
    const e = engine();
    for (const ev of learned) none(e, ev);
    none(e, write('/etc/whatever'), T0 + 5000); // learning
    const t = learnThenStable(e, []);
    none(e, write('/var/lib/app/state.db'), t);
    none(e, write('/tmp/tmp.Qz81kXa0pL', 'create'), t + 1);
    none(e, write('/var/log/app/app-20260102.log'), t + 2);
    none(e, write('/etc/whatever'), t + 3);
  });

  it('dedup is on the generalised item: two fresh temp files are one alert', () => {
    const e = engine();
    const t = learnThenStable(e, [write('/var/lib/app/state.db')]);
    const a = one(e, write('/dev/shm/tmp.Ab12Cd34Ef'), t);
    const ups = e.process(write('/dev/shm/tmp.Zz98Yy76Xx'), t + MIN);
    assert.equal(ups[0].isNew, false);
    assert.equal(a.count, 2);
    assert.equal(a.dedupKey, 'unexpected-file-write|shop/Deployment/web#app|/dev/shm/*');
  });
});
