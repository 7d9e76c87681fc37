import assert from 'node:assert/strict';
import rule from '../../../models/rules/package-manager/rule.ts';
import { assertRuleShape, exec, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/package-manager', () => {
  it('shape', () => {
    assertRuleShape(rule, 'package-manager');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'medium');
    assert.equal(rule.mitre.technique, 'T1105');
  });

  it('system package managers in a container always alert; language ones when installing', () => {
    const cases: [string, string[]][] = [
      ['/usr/bin/apt-get', ['apt-get', 'install', '-y', 'nmap']],
      ['/usr/bin/apt', ['apt', 'update']],
      ['/usr/bin/dpkg', ['dpkg', '-i', 'x.deb']],
      ['/sbin/apk', ['apk', 'add', 'socat']],
      ['/usr/bin/yum', ['yum', 'install', 'x']],
      ['/usr/local/bin/pip', ['pip', 'install', 'requests']],
      ['/usr/bin/pip3', ['pip3', 'install', 'x']],
      ['/usr/local/bin/npm', ['npm', 'i', 'left-pad']],
      ['/usr/local/bin/yarn', ['yarn', 'add', 'x']],
    ];
    for (const [exe, args] of cases) {
      const a = one(engine(), exec(exe, { args }));
      assert.equal(a.rule, 'package-manager');
      assert.equal(a.severity, 'medium');
      assert.equal(a.dedupKey.split('|')[2], exe.split('/').pop());
    }
  });

  it('no alert on a host (no container): package managers are normal there', () => {
    const e = engine();
    none(e, exec('/usr/bin/apt-get', { args: ['apt-get', 'upgrade'], inContainer: false, workload: 'host/cgroup/system.slice/apt-daily.service' }));
    none(e, exec('/usr/bin/dpkg', { args: ['dpkg', '--configure', '-a'], inContainer: false, workload: 'host/cgroup/system.slice/x' }));
  });

  it('no alert for language tools that do not install', () => {
    const e = engine();
    none(e, exec('/usr/local/bin/npm', { args: ['npm', 'start'] }));
    none(e, exec('/usr/local/bin/pip', { args: ['pip', 'list'] }));
    none(e, exec('/usr/local/go/bin/go', { args: ['go', 'build', './...'] }));
    none(e, exec('/usr/bin/python3', { args: ['python3', '-m', 'app'] }));
  });

  it('dedup on the tool name: apt-get twice is one alert', () => {
    const e = engine();
    const a = one(e, exec('/usr/bin/apt-get', { args: ['apt-get', 'update'] }));
    assert.equal(e.process(exec('/usr/bin/apt-get', { args: ['apt-get', 'install', 'x'] }), a && Date.parse(a.time) + 1)[0].isNew, false);
  });
});
