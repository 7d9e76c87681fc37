// Writes to cron configuration are write-system-path's (T1053.003): they alert whatever
// else the workload writes or runs, and a cron file it never wrote alerts once stable.
import assert from 'node:assert/strict';
import rule from '../../../models/rules/write-system-path/rule.ts';
import { exec, learnThenStable, one, testEngine, write } from '../../support/events.ts';

describe('cron writes (write-system-path)', () => {
  it('a new cron file alerts as Cron persistence, while learning and once stable', () => {
    for (const path of ['/etc/cron.d/x', '/etc/crontab', '/etc/cron.hourly/y', '/var/spool/cron/crontabs/root', '/etc/anacrontab']) {
      const a = one(testEngine({ rules: [rule] }), write(path, 'create', { exe: '/usr/bin/bash' }));
      assert.equal(a.mitre.technique, 'T1053.003', path);
    }
    const e = testEngine({ rules: [rule] });
    // a workload that writes its own files, runs chmod and cat, and keeps one cron file
    const t = learnThenStable(e, [write('/var/lib/app/state', 'write'), exec('/usr/bin/chmod'), exec('/usr/bin/cat'), write('/etc/cron.d/app', 'write')]);
    assert.equal(one(e, write('/etc/cron.d/evil', 'create', { exe: '/usr/bin/bash' }), t).mitre.technique, 'T1053.003');
  });
});
