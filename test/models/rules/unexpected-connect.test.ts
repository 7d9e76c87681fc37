import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-connect/rule.ts';
import { assertRuleShape, connect, learnThenStable, none, one, testEngine } from '../../support/events.ts';

describe('rules/unexpected-connect', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-connect');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['connect']);
    assert.equal(rule.severity, 'medium');
    assert.equal(rule.mitre.technique, 'T1071');
  });

  it('a destination the workload never used alerts; the closest known destination is on the same port', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [connect('10.0.0.5', 5432), connect('10.0.0.7', 443, {}, 'api.example.com')]);
    const a = one(e, connect('127.66.6.6', 443), t);
    assert.deepEqual([a.evidence.proto, a.evidence.dstAddr, a.evidence.dstPort, a.evidence.item], ['tcp', '127.66.6.6', 443, 'tcp 127.66.6.6:443']);
    assert.equal(a.baseline.expected[0], 'tcp api.example.com:443');
    none(e, connect('10.0.0.5', 5432), t + 1);
    none(e, connect('10.0.0.99', 443, {}, 'api.example.com'), t + 2);
  });

  it('dns names carry into the evidence', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [connect('10.0.0.5', 5432)]);
    const a = one(e, connect('10.9.9.9', 443, {}, 'evil.example'), t);
    assert.equal(a.evidence.dns, 'evil.example');
    assert.equal(a.evidence.item, 'tcp evil.example:443');
  });

  it('a port whose destinations collapsed accepts any new address on it, but not another port', () => {
    const e = testEngine({ rules: [rule], learning: { connectCollapseThreshold: 3 } });
    const t = learnThenStable(e, [1, 2, 3, 4].map((i) => connect(`10.0.1.${i}`, 9042)));
    none(e, connect('10.0.1.200', 9042), t);
    const a = one(e, connect('10.0.1.200', 9043), t + 1);
    assert.deepEqual(a.baseline.expected, ['tcp *:9042']);
  });
});
