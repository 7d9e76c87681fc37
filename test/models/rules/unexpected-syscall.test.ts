import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-syscall/rule.ts';
import { assertRuleShape, learnThenStable, none, one, syscalls, testEngine, MIN } from '../../support/events.ts';

describe('rules/unexpected-syscall', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-syscall');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['syscall']);
    assert.equal(rule.severity, 'medium');
    assert.equal(rule.mitre.technique, 'T1106');
  });

  it('names never used alert; the evidence lists only the new ones', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [syscalls(['read', 'write', 'epoll_wait', 'futex'])]);
    none(e, syscalls(['read', 'futex']), t);
    const a = one(e, syscalls(['read', 'personality', 'futex', 'memfd_create']), t + 1);
    assert.deepEqual(a.evidence.syscalls, ['personality', 'memfd_create']);
    assert.equal(a.dedupKey, 'unexpected-syscall|shop/Deployment/web#app|personality,memfd_create');
    assert.match(a.summary, /personality, memfd_create/);
  });

  it('dedup: the same new set repeats into one alert; another set is another alert', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [syscalls(['read'])]);
    const a = one(e, syscalls(['read', 'personality']), t);
    assert.equal(e.process(syscalls(['personality']), t + MIN)[0].alert, a);
    assert.equal(a.count, 2);
    assert.notEqual(one(e, syscalls(['memfd_create']), t + 2 * MIN), a);
  });
});
