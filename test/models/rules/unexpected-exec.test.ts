import assert from 'node:assert/strict';
import rule from '../../../models/rules/unexpected-exec/rule.ts';
import { lock } from '../../../models/baseline/learning.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0, MIN } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });
const learned = [
  exec('/usr/bin/app', { parents: ['/usr/bin/containerd-shim-runc-v2'] }),
  exec('/bin/sh', { parents: ['/usr/bin/app'], args: ['sh', '-c', 'date'] }),
  exec('/usr/bin/python3.11', { parents: ['/usr/bin/app'] }),
];

describe('rules/unexpected-exec', () => {
  it('shape', () => {
    assertRuleShape(rule, 'unexpected-exec');
    assert.equal(rule.novelty, true);
    assert.deepEqual(rule.kinds, ['exec']);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1059');
  });

  it('a binary not in a stable baseline alerts, explaining what was expected', () => {
    const e = engine();
    const t = learnThenStable(e, learned);
    const a = one(e, exec('/usr/bin/curl', { args: ['curl', '-s', 'http://127.66.6.6:4444/x'], parents: ['/bin/sh', '/usr/bin/app'] }), t);
    assert.equal(a.rule, 'unexpected-exec');
    assert.equal(a.severity, 'high');
    assert.equal(a.kind, 'exec');
    assert.equal(a.evidence.exe, '/usr/bin/curl');
    assert.equal(a.evidence.item, '/usr/bin/curl');
    assert.equal(a.evidence.parentExe, '/bin/sh');
    assert.equal(a.baseline.state, 'stable');
    assert.equal(a.baseline.items, 3);
    assert.ok(a.baseline.expected.includes('/usr/bin/app'), a.baseline.expected.join());
    assert.match(a.description, /Expected one of: .*\/usr\/bin\/app/);
    assert.match(a.summary, /\/usr\/bin\/curl/);
    assert.deepEqual(a.process.ancestors.map((x) => x.exe), ['/bin/sh', '/usr/bin/app']);
    assert.equal(a.dedupKey, 'unexpected-exec|shop/Deployment/web#app|/usr/bin/curl');
  });

  it('no alert while learning, for known binaries, or for another version of a known interpreter', () => {
    const e = engine();
    for (const ev of learned) none(e, ev);
    none(e, exec('/usr/bin/curl'), T0 + 1000); // learning: learned, not alerted
    const t = learnThenStable(e, [], T0);
    none(e, exec('/usr/bin/app'), t);
    none(e, exec('/usr/bin/curl'), t + 1);
    none(e, exec('/usr/bin/python3.12', { parents: ['/usr/bin/app'] }), t + 2);
  });

  it('no novelty while unstable (size budget); a locked baseline alerts', () => {
    const e = testEngine({ rules: [rule], learning: { maxItems: 1 } });
    none(e, exec('/usr/bin/app'), T0);
    none(e, exec('/usr/bin/other'), T0 + 1);
    const b = [...e.profiler.baselines.values()][0];
    assert.equal(b.meta.state, 'unstable');
    none(e, exec('/usr/bin/nmap'), T0 + 2);
    lock(b, 'alice', T0 + 3);
    const a = one(e, exec('/usr/bin/nmap'), T0 + 4);
    assert.equal(a.baseline.state, 'locked');
  });

  it('lineage: a known binary from a parent it never had is a medium alert listing the known parents', () => {
    const e = engine();
    const t = learnThenStable(e, learned);
    none(e, exec('/bin/sh', { parents: ['/usr/bin/app'], args: ['sh', '-c', 'id'] }), t);
    const a = one(e, exec('/bin/sh', { parents: ['/usr/sbin/nginx'], args: ['sh', '-c', 'id'] }), t + 1);
    assert.equal(a.severity, 'medium');
    assert.match(a.summary, /parent it never had/);
    assert.deepEqual(a.baseline.expected, ['/bin/sh <- /usr/bin/app']);
    assert.equal(a.dedupKey, 'unexpected-exec|shop/Deployment/web#app|/bin/sh<-/usr/sbin/nginx');
  });

  it('folded lineage hits say known binaries from a new parent, not binaries new to the workload', () => {
    const e = engine();
    const steady = [
      exec('/usr/bin/app', { parents: ['/usr/bin/containerd-shim-runc-v2'] }),
      exec('/usr/bin/sha1sum', { parents: ['/usr/bin/bash', '/usr/bin/app'] }),
      exec('/usr/bin/cut', { parents: ['/usr/bin/bash', '/usr/bin/app'] }),
    ];
    const t = learnThenStable(e, steady);
    // the same two known binaries from a subshell under another parent: one finding
    const sub = { ppid: 700, ancestors: [{ exe: '/usr/bin/bash', pid: 700 }, { exe: '/usr/sbin/cron', pid: 1 }] };
    const ups = [...e.process(exec('/usr/bin/sha1sum', { ...sub, pid: 701 }), t), ...e.process(exec('/usr/bin/cut', { ...sub, pid: 702 }), t + 1)];
    const alerts = [...new Set(ups.map((u) => u.alert))];
    assert.equal(alerts.length, 1, alerts.map((a) => a.summary).join('\n'));
    const a = alerts[0];
    assert.equal(a.severity, 'medium');
    assert.deepEqual(a.evidence.items, ['/usr/bin/sha1sum', '/usr/bin/cut']);
    assert.equal(a.summary, '2 known binaries executed by /usr/sbin/cron (via /usr/bin/bash, pid 700), a parent they never had in the baseline: /usr/bin/sha1sum, /usr/bin/cut');
    // a burst of binaries new to the workload keeps its own text
    const shell = { ppid: 800, ancestors: [{ exe: '/usr/bin/bash', pid: 800 }, { exe: '/usr/bin/app', pid: 2 }] };
    const fresh = [...e.process(exec('/usr/bin/id', { ...shell, pid: 801 }), t + 2), ...e.process(exec('/usr/bin/uname', { ...shell, pid: 802 }), t + 3)];
    assert.equal(fresh.at(-1)?.alert.summary, '2 executions new to this workload by /usr/bin/bash (pid 800): /usr/bin/id, /usr/bin/uname');
  });

  it('dedup: one alert per binary per workload container; repeats count', () => {
    const e = engine();
    const t = learnThenStable(e, learned);
    const a = one(e, exec('/usr/bin/curl'), t);
    const ups = e.process(exec('/usr/bin/curl', { pid: 99 }), t + MIN);
    assert.equal(ups.length, 1);
    assert.equal(ups[0].isNew, false);
    assert.equal(ups[0].alert, a);
    assert.equal(a.count, 2);
    assert.notEqual(one(e, exec('/usr/bin/wget'), t + 2 * MIN).dedupKey, a.dedupKey);
    // another container of the workload is another baseline, still learning
    none(e, exec('/usr/bin/curl', { container: 'sidecar' }), t + 3 * MIN);
  });
});
