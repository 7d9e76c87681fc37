import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-file-open/rule.ts';
import { assertRuleShape, learnThenStable, none, one, open, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/unexpected-file-open', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-file-open');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['file_open']);
    assert.equal(rule.severity, 'medium');
    assert.equal(rule.mitre.technique, 'T1005');
  });

  it('a sensitive read not in a stable baseline alerts', () => {
    const e = engine();
    const t = learnThenStable(e, [open('/etc/ssl/private/tls.key')]);
    const a = one(e, open('/etc/shadow', { exe: '/usr/bin/app' }), t);
    assert.equal(a.evidence.path, '/etc/shadow');
    assert.equal(a.evidence.item, '/etc/shadow');
    assert.deepEqual(a.baseline.expected, ['/etc/ssl/private/tls.key']);
    assert.match(a.summary, /read of \/etc\/shadow/);
  });

  it('learned reads and reads while learning do not alert', () => {
    const e = engine();
    none(e, open('/etc/ssl/private/tls.key'));
    const t = learnThenStable(e, []);
    none(e, open('/etc/ssl/private/tls.key'), t);
  });
});
