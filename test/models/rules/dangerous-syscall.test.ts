import assert from 'node:assert/strict';
import rule from '../../../models/rules/dangerous-syscall/rule.ts';
import { assertRuleShape, learnThenStable, none, one, syscalls, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });
const host = { inContainer: false, workload: 'host/cgroup/system.slice/systemd-udevd.service' };

describe('rules/dangerous-syscall', () => {
  it('shape', () => {
    assertRuleShape(rule, 'dangerous-syscall');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1611');
  });

  it('escape, injection and kernel-module calls in a container alert with their technique', () => {
    const cases: [string[], string, string[]][] = [
      [['read', 'ptrace'], 'T1055.008', ['ptrace']],
      [['unshare', 'mount', 'read'], 'T1611', ['mount', 'unshare']],
      [['finit_module'], 'T1547.006', ['finit_module']],
      [['bpf'], 'T1547.006', ['bpf']],
      [['setns'], 'T1611', ['setns']],
    ];
    for (const [names, tech, hits] of cases) {
      const a = one(engine(), syscalls(names));
      assert.equal(a.mitre.technique, tech, names.join());
      assert.deepEqual(a.evidence.syscalls, hits);
      assert.equal(a.dedupKey, `dangerous-syscall|shop/Deployment/web#app|${hits.join(',')}`);
    }
  });

  it('ordinary calls do not alert', () => {
    none(engine(), syscalls(['read', 'write', 'openat', 'clone', 'execve', 'mmap', 'futex']));
  });

  it('host services do these while learning (no alert); once stable only new ones alert', () => {
    const e = engine();
    none(e, syscalls(['mount', 'unshare', 'bpf'], host));
    const t = learnThenStable(e, []);
    none(e, syscalls(['mount', 'unshare', 'bpf'], host), t);
    const a = one(e, syscalls(['mount', 'init_module'], host), t + 1);
    assert.deepEqual(a.evidence.syscalls, ['init_module']);
  });

  it('a container runtime that learned unshare is not alerted once stable', () => {
    const e = engine();
    one(e, syscalls(['unshare']));
    const t = learnThenStable(e, []);
    none(e, syscalls(['unshare', 'read'], {}), t);
    one(e, syscalls(['unshare', 'ptrace']), t + 1);
  });
});
