import assert from 'node:assert/strict';
import rule from '../../../models/rules/discovery-commands/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0 } from '../../support/events.ts';
import type { EventOf } from '../../../collector/event.ts';

const engine = () => testEngine({ rules: [rule] });
const bash = { exe: '/usr/bin/bash', args: ['bash', '-i'] };
const script = { exe: '/usr/bin/bash', args: ['bash', '/entrypoint.sh'] };
const cmd = (exe: string, args: string[], pid: number, parent: { exe: string; args: string[] }, ms: number): EventOf<'exec'> => {
  const ev = exec(exe, { args, pid, ancestors: [parent], time: T0 + ms });
  return { ...ev, process: { ...ev.process, ppid: 900 } };
};

describe('rules/discovery-commands', () => {
  it('shape', () => {
    assertRuleShape(rule, 'discovery-commands');
    assert.equal(rule.mitre.technique, 'T1082');
  });

  it('three distinct discovery commands typed into a shell alert, once per shell; known binaries do not hide it', () => {
    const e = engine();
    const t = learnThenStable(e, [exec('/usr/bin/id'), exec('/usr/bin/uname'), exec('/usr/bin/ps')]);
    none(e, cmd('/usr/bin/id', ['id'], 901, bash, 0), t);
    none(e, cmd('/usr/bin/uname', ['uname', '-a'], 902, bash, 1000), t);
    const a = one(e, cmd('/usr/bin/cat', ['cat', '/etc/passwd'], 903, bash, 2000), t);
    assert.match(a.summary, /3 discovery commands typed into \/usr\/bin\/bash \(pid 900\): cat \/etc\/passwd, id, uname|3 discovery commands/);
    const again = e.process(cmd('/usr/bin/ps', ['ps', 'aux'], 904, bash, 3000), t + 1);
    assert.equal(again[0].alert, a, 'the same shell folds into one alert');
  });

  it('a script running the same commands is not someone at the keyboard', () => {
    const e = engine();
    none(e, cmd('/usr/bin/id', ['id', '-u'], 911, script, 0));
    none(e, cmd('/usr/bin/uname', ['uname', '-m'], 912, script, 10));
    none(e, cmd('/usr/bin/hostname', ['hostname'], 913, script, 20));
  });
});
