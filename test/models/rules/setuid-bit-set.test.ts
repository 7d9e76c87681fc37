import assert from 'node:assert/strict';
import rule from '../../../models/rules/setuid-bit-set/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, write } from '../../support/events.ts';
import type { EventOf } from '../../../collector/event.ts';

const engine = () => testEngine({ rules: [rule] });
const chmod = (path: string, mode: number, exe = '/usr/bin/chmod'): EventOf<'file_write'> => ({ ...write(path, 'chmod', { exe }), mode });

describe('rules/setuid-bit-set', () => {
  it('shape', () => {
    assertRuleShape(rule, 'setuid-bit-set');
    assert.deepEqual(rule.kinds, ['file_write']);
    assert.equal(rule.mitre.technique, 'T1548.001');
  });

  it('setuid, setgid or both set by chmod alert with the mode', () => {
    const a = one(engine(), chmod('/tmp/x', 0o4755));
    assert.match(a.summary, /chmod set the setuid bit on \/tmp\/x \(mode 4755\)/);
    assert.equal(a.evidence.mode, '4755');
    assert.match(one(engine(), chmod('/tmp/y', 0o2755)).summary, /setgid bit/);
    assert.match(one(engine(), chmod('/tmp/z', 0o6755)).summary, /setuid and setgid bits/);
  });

  it('fires although the workload runs chmod every day; ordinary modes and package managers do not', () => {
    const e = engine();
    const t = learnThenStable(e, [exec('/usr/bin/chmod'), chmod('/app/run.sh', 0o755), chmod('/tmp/x', 0o644)]);
    none(e, chmod('/app/run.sh', 0o755), t);
    one(e, chmod('/app/run.sh', 0o4755), t + 1);
    none(engine(), chmod('/usr/bin/passwd', 0o4755, '/usr/bin/dpkg'));
    // no mode known (a source that does not report it)
    none(engine(), write('/tmp/x', 'chmod'));
  });
});
