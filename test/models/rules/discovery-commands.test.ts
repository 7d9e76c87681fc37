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

  it("new one-liners (`sh -c '…'`, as attack frameworks and RCEs run commands) count across shells; the workload's own one-liners do not", () => {
    const e = engine();
    const attacker = { exe: '/usr/bin/bash', args: ['bash', '/app/worker.sh'], pid: 800 };
    const c = (line: string, pid: number) => ({ exe: '/usr/bin/dash', args: ['sh', '-c', line], pid });
    const under = (exe: string, args: string[], pid: number, shell: { exe: string; args: string[]; pid: number }, ms: number): EventOf<'exec'> => {
      const ev = exec(exe, { args, pid, ancestors: [shell, attacker], time: T0 + ms });
      return { ...ev, process: { ...ev.process, ppid: shell.pid } };
    };
    const shellExec = (s: { exe: string; args: string[]; pid: number }, ms: number): EventOf<'exec'> => {
      const ev = exec(s.exe, { args: s.args, pid: s.pid, ancestors: [attacker], time: T0 + ms });
      return { ...ev, process: { ...ev.process, ppid: attacker.pid } };
    };
    // learned: a cron-like line running three discovery commands every minute
    const cron = c('uptime; df -h; free -m', 700);
    const t = learnThenStable(e, [shellExec(cron, 0), under('/usr/bin/uptime', ['uptime'], 701, cron, 1), under('/usr/bin/df', ['df', '-h'], 702, cron, 2), under('/usr/bin/free', ['free', '-m'], 703, cron, 3)]);
    const cron2 = c('uptime; df -h; free -m', 710);
    for (const ev of [shellExec(cron2, 0), under('/usr/bin/uptime', ['uptime'], 711, cron2, 1), under('/usr/bin/df', ['df', '-h'], 712, cron2, 2), under('/usr/bin/free', ['free', '-m'], 713, cron2, 3)]) none(e, ev, t);
    // three new one-liners, one discovery command or two each
    const a = c('cat /etc/passwd > /tmp/T1087.001.txt', 720);
    const b = c('groups', 730);
    const d = c('uname -a; id', 740);
    none(e, shellExec(a, 10), t + 10);
    none(e, under('/usr/bin/cat', ['cat', '/etc/passwd'], 721, a, 11), t + 11);
    none(e, shellExec(b, 12), t + 12);
    none(e, under('/usr/bin/groups', ['groups'], 731, b, 13), t + 13);
    none(e, shellExec(d, 14), t + 14);
    const x = one(e, under('/usr/bin/uname', ['uname', '-a'], 741, d, 15), t + 15);
    assert.match(x.summary, /^3 discovery commands run by new one-line dash -c commands of \/usr\/bin\/bash \(pid 800\): uname, cat \/etc\/passwd, groups$/);
    assert.equal(e.process(under('/usr/bin/id', ['id'], 742, d, 16), t + 16)[0].alert, x, 'one alert for the session');
  });
});
