import assert from 'node:assert/strict';
import rule, { isFileless } from '../../../models/rules/fileless-exec/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0 } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/fileless-exec', () => {
  it('shape', () => {
    assertRuleShape(rule, 'fileless-exec');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'critical');
    assert.equal(rule.mitre.technique, 'T1620');
  });

  it('memfd, deleted files and /proc fds alert (critical), even when learned', () => {
    for (const exe of ['memfd:x', '/memfd:payload (deleted)', '/usr/bin/app (deleted)', '/proc/self/fd/3', '/proc/1234/fd/5', '/dev/fd/4']) {
      assert.ok(isFileless(exe), exe);
      const e = engine();
      const a = one(e, exec(exe));
      assert.equal(a.severity, 'critical');
      const t = learnThenStable(e, [], T0);
      assert.equal(fireAgain(e, exe, t), true, 'a built-in rule: learning it does not silence it');
    }
  });

  it('dedup ignores fd numbers and pids', () => {
    const e = engine();
    const a = one(e, exec('/proc/1234/fd/5'));
    assert.equal(a.dedupKey, 'fileless-exec|shop/Deployment/web#app|/proc/*/fd/*');
    assert.equal(e.process(exec('/proc/999/fd/7'), T0 + 1)[0].isNew, false);
  });

  it('ordinary binaries and re-exec of self do not alert', () => {
    const e = engine();
    for (const exe of ['/usr/bin/app', '/proc/self/exe', '/usr/bin/deleted', '/app/memfd-tool']) none(e, exec(exe));
  });
});

function fireAgain(e: ReturnType<typeof engine>, exe: string, t: number): boolean {
  return e.process(exec(exe), t).some((u) => u.alert.rule === 'fileless-exec' && u.isNew);
}
