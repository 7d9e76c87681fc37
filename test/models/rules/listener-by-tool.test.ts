import assert from 'node:assert/strict';
import rule from '../../../models/rules/listener-by-tool/rule.ts';
import { assertRuleShape, learnThenStable, listen, none, one, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/listener-by-tool', () => {
  it('shape', () => {
    assertRuleShape(rule, 'listener-by-tool');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1571');
  });

  it('netcat, socat and shells listening alert, in any baseline state', () => {
    for (const exe of ['/usr/bin/nc', '/usr/bin/ncat', '/bin/nc.openbsd', '/usr/bin/socat', '/bin/bash', '/bin/busybox']) {
      const a = one(engine(), listen(4444, { exe }));
      assert.equal(a.rule, 'listener-by-tool');
      assert.equal(a.dedupKey, `listener-by-tool|shop/Deployment/web#app|${exe.split('/').pop()}:4444`);
      assert.deepEqual([a.evidence.proto, a.evidence.port], ['tcp', 4444]);
    }
    const e = engine();
    const t = learnThenStable(e, [listen(8080, { exe: '/usr/sbin/nginx' })]);
    one(e, listen(8080, { exe: '/usr/bin/nc' }), t);
  });

  it('services listening do not alert', () => {
    const e = engine();
    for (const exe of ['/usr/sbin/nginx', '/usr/bin/python3', '/usr/local/bin/node', '/app/server', '/usr/bin/ncdu']) none(e, listen(8080, { exe }));
  });

  it('dedup per tool and port', () => {
    const e = engine();
    const a = one(e, listen(4444, { exe: '/usr/bin/nc' }));
    assert.equal(e.process(listen(4444, { exe: '/usr/bin/nc', pid: 7 }, '::'), a && Date.parse(a.time) + 1)[0].isNew, false);
    // another process (one process's several listeners are one fan-out finding)
    assert.notEqual(one(e, listen(5555, { exe: '/usr/bin/nc', pid: 8 })).dedupKey, a.dedupKey);
  });
});
