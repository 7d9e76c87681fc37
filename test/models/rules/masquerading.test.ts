import assert from 'node:assert/strict';
import rule from '../../../models/rules/masquerading/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/masquerading', () => {
  it('shape', () => {
    assertRuleShape(rule, 'masquerading');
    assert.equal(rule.mitre.technique, 'T1036.005');
  });

  it('a system name outside the system directories, a trailing space, a kernel thread argv[0]', () => {
    const a = one(engine(), exec('/dev/shm/sshd'));
    assert.match(a.summary, /\/dev\/shm\/sshd is named like the system program sshd but runs from \/dev\/shm\//);
    assert.equal(one(engine(), exec('/var/lib/app/.cache/kworker')).rule, 'masquerading');
    assert.equal(one(engine(), exec('/usr/bin/sshd ')).mitre.technique, 'T1036.006');
    assert.equal(one(engine(), exec('/tmp/x', { args: ['[kworker/0:2]'] })).mitre.technique, 'T1036.004');
  });

  it('fires although the workload runs ps every day; system places, interpreters and apps do not', () => {
    const e = engine();
    const t = learnThenStable(e, [exec('/usr/bin/ps')]);
    none(e, exec('/usr/bin/ps'), t);
    one(e, exec('/home/app/.local/bin/ps'), t + 1);
    for (const ok of ['/usr/sbin/sshd', '/bin/busybox', '/usr/local/bin/kubelet', '/home/kubernetes/bin/kubelet', '/opt/bin/containerd', '/root/.pyenv/versions/3.11.7/bin/python3', '/app/server', '/nix/store/abc-coreutils/bin/ls']) {
      none(engine(), exec(ok));
    }
  });
});
