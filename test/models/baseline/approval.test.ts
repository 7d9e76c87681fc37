// What a person may approve into a baseline (never wider than learning could produce)
// and forbid (anything well-formed), and what forbidding does to a baseline.
import assert from 'node:assert/strict';
import { approvalProblem, forbidProblem } from '../../../models/baseline/approval.ts';
import { Baseline, DEFAULT_LEARNING } from '../../../models/baseline/baseline.ts';
import type { BaselineKind } from '../../../models/baseline/items.ts';
import { exec, MIN, T0, testEngine, firedRules, one } from '../../support/events.ts';

const meta = () => ({
  workloadId: 'shop/Deployment/web', container: 'app', namespace: 'shop', workloadKind: 'Deployment', workloadName: 'web', image: null, version: 1,
  state: 'learning' as const, createdAt: 0, learningSince: 0, lastNewItemAt: 0, stableSince: null, lockedBy: null, unstableReason: null, collapsed: {},
});

describe('models/baseline/approval', () => {
  it('approves what learning could produce', () => {
    const ok: [BaselineKind, string][] = [
      ['exec', '/usr/bin/curl'], ['exec', 'nginx'], ['exec', 'memfd:*'], ['file_write', '/var/cache/app/*'], ['file_write', '/tmp/*/x'],
      ['file_open', '/proc/*/status'], ['connect', 'tcp 10.0.0.5:5432'], ['connect', 'tcp *:443'], ['connect', 'udp [fd00::1]:53'],
      ['listen', 'tcp *:8080'], ['syscall', 'openat'], ['connect', 'tcp 10.9.0.0/16:6379'], ['connect', 'tcp [fd00:1::/48]:443'], ['connect', 'tcp svc:db/postgres:5432'],
      ['connect', 'tcp shop/Deployment/api:8080'], ['listen', 'udp pod:5353'],
    ];
    for (const [k, p] of ok) assert.equal(approvalProblem(k, p), undefined, `${k} ${p}`);
  });

  it('refuses anything wider, or malformed', () => {
    const bad: [BaselineKind, unknown][] = [
      ['exec', '**'], ['exec', '/usr/**'], ['exec', '/*'], ['exec', '/*/sh'], ['exec', '*'], ['exec', 'a/b'], ['exec', ''], ['exec', 7],
      ['file_write', '/a/../etc'], ['file_write', '/a//b'], ['file_write', '/a/'], ['file_write', '/x\u0000'], ['file_write', '/' + 'a'.repeat(2000)],
      ['connect', 'tcp *:*'], ['connect', 'tcp 10.*.0.1:80'], ['connect', 'tcp 1.2.3.4:70000'], ['connect', 'icmp 1.2.3.4:1'], ['connect', '1.2.3.4'], ['connect', 'tcp *:0'],
      ['listen', 'tcp *:*'], ['syscall', '*'], ['syscall', 'open*'], ['syscall', 'OPEN'], ['connect', 'tcp 10.0.0.0/8:443'], ['connect', 'tcp 0.0.0.0/0:443'], ['connect', 'tcp [fd00::/16]:443'],
    ];
    for (const [k, p] of bad) assert.ok(approvalProblem(k, p), `${k} ${String(p)} should be refused`);
  });

  it('forbids wide patterns, but only well-formed ones', () => {
    for (const [k, p] of [['exec', '/tmp/**'], ['exec', '/*/nc'], ['connect', 'tcp *:*'], ['syscall', 'ptrace'], ['syscall', 'kexec*']] as [BaselineKind, string][]) {
      assert.equal(forbidProblem(k, p), undefined, `${k} ${p}`);
    }
    for (const [k, p] of [['exec', 'a/b'], ['file_write', '/a/../b'], ['connect', 'nope'], ['syscall', 'Bad Name']] as [BaselineKind, string][]) assert.ok(forbidProblem(k, p));
  });

  it('a forbidden item is removed, never learned, and survives relearning and snapshots', () => {
    const b = new Baseline(meta());
    b.observe('exec', '/usr/bin/nc', 1, 'n', DEFAULT_LEARNING);
    b.observe('exec', '/usr/bin/app', 1, 'n', DEFAULT_LEARNING);
    assert.deepEqual(b.forbid('exec', '/usr/bin/n*'), { added: true, removed: ['/usr/bin/nc'] });
    assert.deepEqual(b.observe('exec', '/usr/bin/nc', 2, 'n', DEFAULT_LEARNING), { novel: true, lineageNovel: false, forbidden: true });
    assert.ok(!b.has('exec', '/usr/bin/nc'));
    assert.equal(b.forbiddenBy('exec', '/usr/bin/ncat'), '/usr/bin/n*');
    b.clear();
    const copy = Baseline.fromSnapshot(b.snapshot());
    assert.deepEqual(copy.meta.forbidden, { exec: ['/usr/bin/n*'] });
    assert.equal(copy.forbiddenBy('exec', '/usr/bin/nc'), '/usr/bin/n*');
    assert.ok(copy.unforbid('exec', '/usr/bin/n*'));
    assert.equal(copy.meta.forbidden, undefined);
    assert.deepEqual(copy.observe('exec', '/usr/bin/nc', 3, 'n', DEFAULT_LEARNING), { novel: true, lineageNovel: false });
  });

  it('exceptions: an approved built-in finding, persisted in the meta', () => {
    const b = new Baseline(meta());
    assert.ok(b.except('shell-spawned', '/bin/sh'));
    assert.ok(!b.except('shell-spawned', '/bin/sh'), 'idempotent');
    assert.ok(b.decisions.excepted('shell-spawned', '/bin/sh'));
    assert.deepEqual(Baseline.fromSnapshot(b.snapshot()).meta.exceptions, { 'shell-spawned': ['/bin/sh'] });
    assert.ok(b.unexcept('shell-spawned', '/bin/sh'));
    assert.equal(b.meta.exceptions, undefined);
  });

  it('the engine: an excepted built-in finding no longer alerts; a forbidden item alerts in every state', () => {
    const e = testEngine();
    const a = one(e, exec('/tmp/tool'), T0);
    assert.equal(a.rule, 'exec-writable-path');
    const b = [...e.profiler.baselines.values()][0];
    b.forbid('exec', '/usr/bin/nc');
    assert.equal(b.meta.state, 'learning');
    assert.deepEqual(firedRules(e, exec('/usr/bin/nc'), T0 + 1000), ['forbidden-item'], 'while learning');
    b.except(a.rule, a.dedupKey.slice(`${a.rule}|${b.key}|`.length));
    e.forget(a.dedupKey);
    assert.ok(!firedRules(e, exec('/tmp/tool'), T0 + 20 * MIN).includes('exec-writable-path'));
    assert.equal(b.meta.state, 'stable');
    assert.deepEqual(firedRules(e, exec('/usr/bin/nc', { pid: 9 }), T0 + 40 * MIN), ['forbidden-item'], 'once stable');
  });
});
