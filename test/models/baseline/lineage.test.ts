// Lineage judged by the nearest ancestor that is not a shell, a shell script or an exec
// wrapper (models/baseline/lineage.ts): other paths through a known tree are not new
// parents; another part of the tree still is.
import assert from 'node:assert/strict';
import { isPlumbing, lineageExe } from '../../../models/baseline/lineage.ts';
import rule from '../../../models/rules/unexpected-exec/rule.ts';
import { exec, learnThenStable, none, one, testEngine } from '../../support/events.ts';

const tini = { exe: '/usr/bin/tini', args: ['tini', '--', '/app/worker.sh'] };
const worker = { exe: '/app/worker.sh', args: ['/bin/bash', '/app/worker.sh'] }; // a script run directly (#!/bin/bash)
const bashC = { exe: '/usr/bin/bash', args: ['bash', '-c', 'sqlite3 db .dump'] };
const shim = { exe: '/app/bin/sqlite-shim.sh', args: ['/bin/bash', '/app/bin/sqlite-shim.sh'] };
const python = { exe: '/usr/bin/python3.11', args: ['python3', '/app/server.py'] };
const shimProc = { exe: '/usr/bin/containerd-shim-runc-v2', args: ['containerd-shim-runc-v2'] };

describe('models/baseline/lineage', () => {
  it('shells, shell scripts (argv[0] is the shell) and exec wrappers are plumbing; interpreters and inits are not', () => {
    assert.equal(isPlumbing(bashC), true);
    assert.equal(isPlumbing(worker), true);
    assert.equal(isPlumbing({ exe: '/usr/bin/timeout', args: ['timeout', '5', 'x'] }), true);
    assert.equal(isPlumbing(python), false);
    assert.equal(isPlumbing(tini), false);
    assert.equal(isPlumbing({ exe: '/usr/bin/sudo' }), false);
    assert.equal(lineageExe([bashC, worker, tini]), '/usr/bin/tini');
    assert.equal(lineageExe([bashC, python, tini]), '/usr/bin/python3.11');
    assert.equal(lineageExe([bashC, worker]), '/app/worker.sh', 'all plumbing: the top of what is known');
    assert.equal(lineageExe([]), undefined);
  });

  it('other paths through the known tree (bash -c, a shim script) are not a parent it never had', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [exec('/usr/bin/sqlite3', { ancestors: [worker, tini] })]);
    none(e, exec('/usr/bin/sqlite3', { ancestors: [bashC, worker, tini] }), t);
    none(e, exec('/usr/bin/sqlite3', { ancestors: [shim, worker, tini] }), t + 1);
    none(e, exec('/usr/bin/sqlite3', { ancestors: [shim, bashC, worker, tini] }), t + 2);
  });

  it('another part of the tree is: the web service, or a shell exec\'d into the container', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [exec('/usr/bin/sqlite3', { ancestors: [worker, tini] }), exec('/usr/bin/python3.11', { ancestors: [tini] })]);
    const a = one(e, exec('/usr/bin/sqlite3', { ancestors: [bashC, python, tini] }), t);
    assert.equal(a.rule, 'unexpected-exec');
    assert.match(a.summary, /executed by \/usr\/bin\/python3\.11 \(via \/usr\/bin\/bash\), a parent it never had/);
    assert.deepEqual(a.baseline.expected, ['/usr/bin/sqlite3 <- /usr/bin/tini']);
    const e2 = testEngine({ rules: [rule] });
    const t2 = learnThenStable(e2, [exec('/usr/bin/sqlite3', { ancestors: [worker, tini] })]);
    const b = one(e2, exec('/usr/bin/sqlite3', { ancestors: [{ exe: '/usr/bin/bash', args: ['bash'] }, shimProc] }), t2);
    assert.match(b.summary, /executed by \/usr\/bin\/containerd-shim-runc-v2/);
  });

  it('a baseline that learned immediate parents (before lineage passed through shells) stays quiet', () => {
    const e = testEngine({ rules: [rule] });
    const t = learnThenStable(e, [exec('/usr/bin/curl', { ancestors: [worker, tini] })]);
    // what such a baseline holds: the immediate parent
    const item = [...e.profiler.baselines.values()][0].get('exec', '/usr/bin/curl')!;
    item.detail!.parents = ['/app/worker.sh'];
    none(e, exec('/usr/bin/curl', { ancestors: [worker, tini] }), t);
  });
});
