import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-syscall/rule.ts';
import { ORDINARY_SYSCALLS } from '../../../models/rules/unexpected-syscall/ordinary.ts';
import { DANGEROUS } from '../../../models/rules/dangerous-syscall/rule.ts';
import { syscallName } from '../../../collector/sources/bpftrace/syscalls-x86_64.ts';
import { assertRuleShape, learnThenStable, none, one, syscalls, testEngine, MIN } from '../../support/events.ts';

const KNOWN = new Set<string>(Array.from({ length: 600 }, (_, nr) => syscallName(nr)));

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

  it('ordinary calls (I/O, memory, time, signals…) are learned but their first use stays quiet', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [syscalls(['read', 'write'])]);
    // a restart's shutdown path, a `cp` keeping attributes: new, and meaningless
    none(e, syscalls(['read', 'getrusage', 'copy_file_range', 'fchmodat', 'getxattr', 'statx', 'fadvise64', 'restart_syscall']), t);
    // among them, a call that means something still alerts, alone in the evidence
    const a = one(e, syscalls(['getrusage', 'userfaultfd', 'statx'], { pid: 9 }), t + 1);
    assert.deepEqual(a.evidence.syscalls, ['userfaultfd']);
    assert.equal(a.dedupKey, 'unexpected-syscall|shop/Deployment/web#app|userfaultfd');
    // every ordinary name is a real x86_64 syscall (no typo hides a dangerous one)
    for (const n of ORDINARY_SYSCALLS) assert.ok(KNOWN.has(n), n);
    for (const n of Object.keys(DANGEROUS)) assert.ok(!ORDINARY_SYSCALLS.has(n), `${n} is dangerous, not ordinary`);
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
