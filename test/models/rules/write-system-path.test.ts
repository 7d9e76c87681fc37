import assert from 'node:assert/strict';
import rule from '../../../models/rules/write-system-path/rule.ts';
import { assertRuleShape, learnThenStable, none, one, testEngine, write } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/write-system-path', () => {
  it('shape', () => {
    assertRuleShape(rule, 'write-system-path');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1554');
  });

  it('security-relevant config writes alert with their own technique', () => {
    const cases: [string, string][] = [
      ['/etc/ld.so.preload', 'T1574.006'],
      ['/etc/cron.d/backdoor', 'T1053.003'],
      ['/etc/crontab', 'T1053.003'],
      ['/var/spool/cron/crontabs/root', 'T1053.003'],
      ['/etc/passwd', 'T1136.001'],
      ['/etc/shadow', 'T1098'],
      ['/etc/sudoers.d/x', 'T1548.003'],
      ['/root/.ssh/authorized_keys', 'T1098.004'],
      ['/etc/systemd/system/evil.service', 'T1543.002'],
      ['/etc/pam.d/sshd', 'T1556.003'],
    ];
    for (const [path, tech] of cases) {
      const a = one(engine(), write(path, 'write', { exe: '/bin/sh' }));
      assert.equal(a.mitre.technique, tech, path);
      assert.equal(a.severity, 'high');
      assert.equal(a.dedupKey, `write-system-path|shop/Deployment/web#app|${path}`);
    }
  });

  it('writes into binary and library directories alert, including a rename onto them', () => {
    for (const path of ['/usr/bin/ls', '/bin/ps', '/usr/local/bin/kubectl', '/lib/x86_64-linux-gnu/libc.so.6', '/boot/vmlinuz']) {
      const a = one(engine(), write(path, 'create', { exe: '/usr/bin/curl' }));
      assert.equal(a.mitre.technique, 'T1554', path);
    }
    const a = one(engine(), write('/app/.x', 'rename', {}, '/usr/sbin/sshd'));
    assert.match(a.summary, /\/usr\/sbin\/sshd/);
  });

  it("package managers' own writes do not alert (apt, dpkg, rpm, apk, ldconfig)", () => {
    const e = engine();
    for (const exe of ['/usr/bin/dpkg', '/usr/bin/apt-get', '/usr/bin/apt', '/usr/bin/rpm', '/sbin/apk', '/sbin/ldconfig', '/usr/bin/update-alternatives']) {
      none(e, write('/usr/bin/newtool', 'create', { exe }));
      none(e, write('/etc/passwd', 'write', { exe }));
    }
  });

  it('ordinary config and data paths do not alert', () => {
    const e = engine();
    for (const p of ['/etc/nginx/nginx.conf', '/var/lib/app/db', '/tmp/x', '/etc/hosts', '/usr/share/nginx/html/index.html', '/app/bin/x', '/root/.bash_history']) none(e, write(p));
  });

  it('a write the stable baseline learned does not alert; a new one does', () => {
    const e = engine();
    one(e, write('/usr/lib/app/plugins/cache.so'));
    const t = learnThenStable(e, []);
    none(e, write('/usr/lib/app/plugins/cache.so'), t);
    one(e, write('/usr/lib/app/plugins/evil.so'), t + 1);
  });

  it('renames: onto a system path from a new source alerts; a learned atomic replace stays quiet', () => {
    const e = engine();
    const t = learnThenStable(e, [write('/usr/lib/app/cache.so.tmp', 'rename', {}, '/usr/lib/app/cache.so')]);
    none(e, write('/usr/lib/app/cache.so.tmp', 'rename', {}, '/usr/lib/app/cache.so'), t);
    const a = one(e, write('/app/.dropper', 'rename', {}, '/usr/bin/ls'), t + 1);
    assert.equal(a.dedupKey, 'write-system-path|shop/Deployment/web#app|/usr/bin/ls');
  });
});
