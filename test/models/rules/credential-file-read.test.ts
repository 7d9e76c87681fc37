import assert from 'node:assert/strict';
import rule from '../../../models/rules/credential-file-read/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, open, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/credential-file-read', () => {
  it('shape', () => {
    assertRuleShape(rule, 'credential-file-read');
    assert.equal(rule.novelty, false);
    assert.deepEqual(rule.kinds, ['file_open']);
    assert.equal(rule.severity, 'high');
  });

  it('a hand tool reading a credential file alerts with the technique of the file, in any state', () => {
    for (const [path, technique] of [
      ['/etc/shadow', 'T1003.008'],
      ['/etc/gshadow-', 'T1003.008'],
      ['/root/.ssh/id_ed25519', 'T1552.004'],
      ['/home/alice/.ssh/id_rsa', 'T1552.004'],
      ['/etc/ssh/ssh_host_rsa_key', 'T1552.004'],
      ['/root/.aws/credentials', 'T1552.001'],
      ['/home/bob/.kube/config', 'T1552.001'],
      ['/etc/kubernetes/admin.conf', 'T1552.001'],
      ['/proc/1/environ', 'T1552'],
    ]) {
      const a = one(engine(), open(path, { exe: '/usr/bin/cat' }));
      assert.equal(a.mitre.technique, technique, path);
      assert.match(a.summary, new RegExp(`cat read .*${path.replace(/[.]/g, '\\.')}`));
    }
  });

  it('fires although the workload runs cat every day (technique, not novelty)', () => {
    const e = engine();
    const t = learnThenStable(e, [exec('/usr/bin/cat', { args: ['cat', '/app/config.yaml'] }), open('/etc/app/secret', { exe: '/usr/bin/cat' })]);
    const a = one(e, open('/etc/shadow', { exe: '/usr/bin/cat' }), t);
    assert.equal(a.rule, 'credential-file-read');
    // busybox applets are the program they were run as
    one(engine(), open('/etc/shadow', { exe: '/bin/busybox', args: ['cat', '/etc/shadow'] }));
  });

  it('the programs whose job it is stay quiet; public keys and own environment are not credentials', () => {
    none(engine(), open('/etc/shadow', { exe: '/usr/sbin/unix_chkpwd' }));
    none(engine(), open('/etc/shadow', { exe: '/usr/sbin/sshd' }));
    none(engine(), open('/root/.ssh/id_rsa', { exe: '/usr/bin/ssh' }));
    none(engine(), open('/root/.aws/credentials', { exe: '/usr/local/bin/aws' }));
    none(engine(), open('/root/.ssh/id_rsa.pub', { exe: '/usr/bin/cat' }));
    none(engine(), open('/proc/4242/environ', { exe: '/usr/bin/cat', pid: 4242 }));
  });

  it('an application: its own cloud credentials only once stable and new; the password database until learned', () => {
    const e = engine();
    none(e, open('/root/.aws/credentials', { exe: '/usr/bin/python3' }));
    one(e, open('/etc/shadow', { exe: '/usr/bin/python3' }));
    const e2 = engine();
    const t = learnThenStable(e2, [open('/etc/shadow', { exe: '/usr/bin/app' })]);
    none(e2, open('/etc/shadow', { exe: '/usr/bin/app' }), t);
    one(e2, open('/root/.aws/credentials', { exe: '/usr/bin/app' }), t + 1);
  });
});
