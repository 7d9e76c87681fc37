import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-listen/rule.ts';
import { assertRuleShape, learnThenStable, listen, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/unexpected-listen', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-listen');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['listen']);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1571');
  });

  it('a new listener on a stable workload alerts with proto, addr, port', () => {
    const e = engine();
    const t = learnThenStable(e, [listen(8080), listen(9090, {}, '127.0.0.1')]);
    const a = one(e, listen(4444), t);
    assert.deepEqual([a.evidence.proto, a.evidence.addr, a.evidence.port, a.evidence.item], ['tcp', '0.0.0.0', 4444, 'tcp *:4444']);
    assert.equal(a.baseline.expected[0], 'tcp *:8080', 'the same-proto listener ranks first');
    assert.equal(a.dedupKey, 'unexpected-listen|shop/Deployment/web#app|tcp *:4444');
  });

  it('the same port on another wildcard family or a v4-mapped address is the same listener', () => {
    const e = engine();
    const t = learnThenStable(e, [listen(8080)]);
    none(e, listen(8080, {}, '::'), t);
    none(e, listen(8080, {}, '[::]'), t + 1);
  });

  it('a known port on a different address or proto is new', () => {
    const e = engine();
    const t = learnThenStable(e, [listen(9090, {}, '127.0.0.1')]);
    // two processes (one process opening several new listeners is one fan-out finding)
    one(e, listen(9090, { pid: 100 }), t);
    one(e, listen(9090, { pid: 200 }, '127.0.0.1', 'udp'), t + 1);
  });
});
