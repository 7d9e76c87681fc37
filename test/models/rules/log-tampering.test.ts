import assert from 'node:assert/strict';
import rule from '../../../models/rules/log-tampering/rule.ts';
import { assertRuleShape, learnThenStable, none, one, testEngine, write } from '../../support/events.ts';
import type { EventOf } from '../../../collector/event.ts';

const engine = () => testEngine({ rules: [rule] });
const trunc = (path: string, exe: string): EventOf<'file_write'> => ({ ...write(path, 'write', { exe }), flags: ['O_WRONLY', 'O_TRUNC'] });

describe('rules/log-tampering', () => {
  it('shape', () => {
    assertRuleShape(rule, 'log-tampering');
    assert.equal(rule.mitre.technique, 'T1070.002');
  });

  it('the node\'s login and system logs: deleted, emptied or moved away alerts in any state', () => {
    assert.match(one(engine(), write('/var/log/auth.log', 'unlink', { exe: '/usr/bin/rm' })).summary, /\/var\/log\/auth\.log deleted by rm/);
    one(engine(), trunc('/var/log/wtmp', '/usr/bin/truncate'));
    one(engine(), write('/var/log/syslog', 'rename', { exe: '/usr/bin/mv' }, '/tmp/s'));
    // their own daemons rotate them
    none(engine(), write('/var/log/syslog', 'rename', { exe: '/usr/sbin/logrotate' }, '/var/log/syslog.1'));
    none(engine(), trunc('/var/log/auth.log', '/usr/sbin/rsyslogd'));
  });

  it('rotation is not tampering: rotated copies removed, the current log renamed to its next number', () => {
    const e = engine();
    const t = learnThenStable(e, [write('/var/log/app/access.log', 'create')]);
    none(e, write('/var/log/app/access.log.5.gz', 'unlink', { exe: '/usr/bin/rm' }), t);
    none(e, write('/var/log/app/access.log', 'rename', { exe: '/app/worker' }, '/var/log/app/access.log.1'), t + 1);
    none(e, write('/var/log/app/app-20240101.log', 'unlink', { exe: '/usr/bin/rm' }), t + 2);
  });

  it("an application's own log: only once stable, only what it never did", () => {
    const e = engine();
    // while learning: its habit is being learned
    none(e, trunc('/var/log/app/app.log', '/usr/bin/app'));
    const t = learnThenStable(e, [trunc('/var/log/app/app.log', '/usr/bin/app')]);
    none(e, trunc('/var/log/app/app.log', '/usr/bin/app'), t);
    one(e, write('/var/log/app/app.log', 'unlink', { exe: '/usr/bin/rm' }), t + 1);
    one(e, trunc('/var/log/app/other.log', '/usr/bin/truncate'), t + 2);
  });
});
