import assert from 'node:assert/strict';
import rule, { inWritableDir } from '../../../models/rules/exec-writable-path/rule.ts';
import { scriptOf } from '../../../models/rules/types.ts';
import { assertRuleShape, exec, learnThenStable, none, one, testEngine, T0 } from '../../support/events.ts';

const engine = () => testEngine({ rules: [rule] });

describe('rules/exec-writable-path', () => {
  it('shape', () => {
    assertRuleShape(rule, 'exec-writable-path');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'high');
    assert.equal(rule.mitre.technique, 'T1105');
  });

  it('alerts while learning for /tmp, /var/tmp, /dev/shm and /run/user binaries', () => {
    for (const p of ['/tmp/x', '/var/tmp/kinsing', '/dev/shm/.x/miner', '/run/user/1000/a', '/dev/mqueue/b']) {
      const a = one(engine(), exec(p));
      assert.equal(a.rule, 'exec-writable-path');
      assert.equal(a.severity, 'high');
      assert.equal(a.baseline.state, 'learning');
    }
  });

  it('dedups on the generalised item: one alert for every mktemp dir', () => {
    const e = engine();
    const a = one(e, exec('/tmp/tmp.Xa81kQz0pL/payload'), T0);
    assert.equal(a.dedupKey, 'exec-writable-path|shop/Deployment/web#app|/tmp/*/payload');
    assert.equal(e.process(exec('/tmp/tmp.Qz0pLXa81k/payload'), T0 + 1)[0].isNew, false);
    assert.equal(a.count, 2);
  });

  it('no alert for image paths or look-alike prefixes', () => {
    const e = engine();
    for (const p of ['/usr/bin/app', '/tmpfs/bin/x', '/app/tmp/x', '/opt/var/tmp/x', 'sh']) none(e, exec(p));
    assert.equal(inWritableDir('/tmp'), false, 'the directory itself is not a binary in it');
  });

  it('a /tmp binary the stable baseline learned is the workload habit; a new one alerts', () => {
    const e = engine();
    one(e, exec('/tmp/hsperfdata-helper'), T0); // while learning: alerts once, and is learned
    const t = learnThenStable(e, [], T0);
    none(e, exec('/tmp/hsperfdata-helper'), t);
    const a = one(e, exec('/tmp/other'), t + 1);
    assert.equal(a.baseline.state, 'stable');
  });

  it('a script under /tmp handed to an interpreter alerts; the same command line learned by a stable baseline does not', () => {
    const e = engine();
    const a = one(e, exec('/usr/bin/bash', { args: ['bash', '-x', '/dev/shm/.x/run.sh'] }), T0);
    assert.equal(a.summary, '/dev/shm/.x/run.sh run by /usr/bin/bash from a writable temporary directory');
    assert.equal(a.evidence.path, '/dev/shm/.x/run.sh');
    const t = learnThenStable(e, [exec('/usr/bin/dash', { args: ['sh', '/tmp/setup.sh'] })], T0);
    none(e, exec('/usr/bin/dash', { args: ['sh', '/tmp/setup.sh'] }), t);
    one(e, exec('/usr/bin/dash', { args: ['sh', '/tmp/art.sh'] }), t + 1);
    one(e, exec('/usr/bin/perl', { args: ['perl', '/var/tmp/x.pl'] }), t + 2);
    for (const args of [['sh', '-c', 'echo /tmp/x'], ['python3', '-m', 'http.server'], ['python3', '/app/main.py'], ['sh']]) none(e, exec(`/usr/bin/${args[0]}`, { args }), t + 3);
  });

  it('scriptOf: the file an interpreter runs', () => {
    const p = (args: string[], exe = `/usr/bin/${args[0]}`, cwd?: string) => scriptOf({ exe, args, ...(cwd ? { cwd } : {}) });
    assert.equal(p(['sh', '/tmp/a.sh']), '/tmp/a.sh');
    assert.equal(p(['bash', '-e', '-x', './run.sh', 'arg'], '/usr/bin/bash', '/tmp'), '/tmp/run.sh');
    assert.equal(p(['sh', 'run.sh']), undefined, 'relative, and no cwd known');
    assert.equal(p(['sh', '-c', 'x']), undefined);
    assert.equal(p(['bash', '-s', 'x']), undefined);
    assert.equal(p(['busybox', 'sh', '/tmp/b.sh'], '/bin/busybox'), '/tmp/b.sh');
    assert.equal(p(['python3.11', '/tmp/x.py']), '/tmp/x.py');
    // the interpreter's options come before its script
    assert.equal(p(['python3', '-u', '/tmp/x.py']), '/tmp/x.py');
    assert.equal(p(['python3', '-u', '-W', 'ignore', '-X', 'dev', '/tmp/x.py', '-W', 'y']), '/tmp/x.py');
    assert.equal(p(['python3', '-Wignore', '-OO', '/tmp/x.py']), '/tmp/x.py');
    assert.equal(p(['python3', '-u', '-c', 'print(1)', '/tmp/x.py']), undefined, 'code, not a script');
    assert.equal(p(['python3', '-m', 'http.server']), undefined);
    assert.equal(p(['python3', '-']), undefined, 'stdin');
    assert.equal(p(['python3', '--', '/tmp/-x.py']), '/tmp/-x.py');
    assert.equal(p(['node', '--import', 'tsx', '-r', './hook.js', '/tmp/x.js']), '/tmp/x.js');
    assert.equal(p(['node', '--import=tsx', '/tmp/x.js']), '/tmp/x.js');
    assert.equal(p(['node', '-e', 'x', '/tmp/x.js']), undefined);
    assert.equal(p(['perl', '-w', '-Mstrict', '/tmp/x.pl']), '/tmp/x.pl');
    assert.equal(p(['perl', '-e', 'print 1']), undefined);
    assert.equal(p(['ruby', '-r', 'json', '/tmp/x.rb']), '/tmp/x.rb');
    assert.equal(p(['php', '-d', 'x=1', '-f', '/tmp/x.php']), '/tmp/x.php');
    assert.equal(p(['php', '-f/tmp/x.php']), '/tmp/x.php');
    assert.equal(p(['cat', '/tmp/x']), undefined);
  });
});
