import assert from 'node:assert/strict';
import rule from '../../../models/rules/sa-token-read/rule.ts';
import { assertRuleShape, learnThenStable, none, one, open, testEngine } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });
const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

describe('rules/sa-token-read', () => {
  it('shape', () => {
    assertRuleShape(rule, 'sa-token-read');
    assert.equal(rule.novelty, false);
    assert.deepEqual(rule.kinds, ['file_open']);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1528');
  });

  it('interactive tools reading a service-account token alert in any state', () => {
    for (const [exe, path] of [
      ['/bin/cat', TOKEN],
      ['/usr/bin/curl', TOKEN],
      ['/bin/sh', '/run/secrets/kubernetes.io/serviceaccount/token'],
      ['/usr/bin/base64', '/var/run/secrets/eks.amazonaws.com/serviceaccount/token'],
      ['/usr/bin/head', '/var/run/secrets/tokens/vault-token'],
    ]) {
      const a = one(engine(), open(path, { exe }));
      assert.equal(a.evidence.path, path);
      assert.match(a.description, /credential theft/);
      assert.equal(a.dedupKey, `sa-token-read|shop/Deployment/web#app|${exe.split('/').pop()}`);
    }
    const e = engine();
    const t = learnThenStable(e, [open(TOKEN, { exe: '/usr/bin/app' })]);
    one(e, open(TOKEN, { exe: '/bin/cat' }), t);
  });

  it('the application itself: no alert while learning or once learned; a first read once stable alerts', () => {
    const e = engine();
    none(e, open(TOKEN, { exe: '/usr/bin/app' }));
    const t = learnThenStable(e, []);
    none(e, open(TOKEN, { exe: '/usr/bin/app' }), t);
    const e2 = engine();
    const t2 = learnThenStable(e2, [open('/etc/app/config.yaml', { exe: '/usr/bin/app' })]);
    const a = one(e2, open(TOKEN, { exe: '/usr/bin/app' }), t2);
    assert.match(a.description, /never read/);
  });

  it('an interpreter app reading its own token is judged by the baseline, not by name', () => {
    const e = engine();
    none(e, open(TOKEN, { exe: '/usr/bin/python3' }));
  });

  it('other paths do not alert', () => {
    const e = engine();
    none(e, open('/etc/passwd', { exe: '/bin/cat' }));
    none(e, open('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt.bak', { exe: '/usr/bin/app' }));
    none(e, open('/app/var/run/secrets/kubernetes.io/serviceaccount/token', { exe: '/bin/cat' }));
  });
});
